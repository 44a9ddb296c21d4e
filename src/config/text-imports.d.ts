// Bun inlines `import x from './file.yaml' with { type: 'text' }` as a string, at build time too.
declare module '*.yaml' {
  const text: string;
  export default text;
}
