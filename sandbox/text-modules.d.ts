/** Bun embeds files imported `with { type: 'text' }` as strings (the Containerfile travels in the binary). */
declare module '*/Containerfile' {
  const text: string;
  export default text;
}
