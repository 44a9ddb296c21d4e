/**
 * Whether a path of the tree is the operator's control dir, `.peers/` at the top, or beneath it:
 * its first component compared without case, as a case-insensitive filesystem (macOS's default)
 * compares it, where a `.PEERS/config.yaml` is checked out or patched as `.peers/config.yaml`. One
 * rule for what the run may not bring there: its commits (src/protocol/committed-control-plane.ts,
 * holding convergence and publishing) and its leftover patch (workspace-git.ts).
 */
export const CONTROL_DIR = '.peers';

export function underControlDir(path: string): boolean {
  return path.split('/', 1)[0]!.toLowerCase() === CONTROL_DIR;
}
