/**
 * A project's name as a user types it (`peers status NAME`) and reads it in a branch name
 * (`peers/NAME`): accents dropped (é → e), each run of other characters one '-', none at either
 * end ("clamp lib é" → clamp-lib-e; the bare sanitizing of the state key gave clamp-lib-- and,
 * for "Ünïcode lib", n-code-lib-).
 */
export function readableName(dirName: string): string {
  const ascii = dirName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return ascii.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '').slice(0, 56) || 'project';
}
