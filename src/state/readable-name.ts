/**
 * A project's name as a user types it (`peers status NAME`) and reads it in a branch name
 * (`peers/NAME`): accents dropped (é → e), each run of other characters one '-', none at either
 * end ("clamp lib é" → clamp-lib-e; the bare sanitizing of the state key gave clamp-lib-- and,
 * for "Ünïcode lib", n-code-lib-), and what git refuses in a ref made acceptable (lib.lock → lib-lock).
 */
export function readableName(dirName: string): string {
  const ascii = dirName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  // What git refuses in a ref (the branch peers/NAME) besides: `..` anywhere, `.lock` or `.` at the
  // end (cut at 56 first, so the cut cannot leave one).
  const name = ascii.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/\.{2,}/g, '.').slice(0, 56).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'project';
  return name.replace(/\.lock$/i, '-lock');
}
