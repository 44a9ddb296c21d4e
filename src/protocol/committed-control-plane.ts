/**
 * Files the peers committed under `.peers/`, the operator's control plane. The loop enforces its
 * snapshot of the goals, config and checks, so such a commit never changes a goal; but every reader
 * of the peers' change leaves `.peers/` out (the reviewer's diff, the turn's classification, the
 * gate surface, what voids a vote), while the gates' checkout is the commit's whole tree. Code
 * committed there was run by the gates and read by nobody: add() moved to `.peers/lib/calc-impl.mjs`
 * with a special case of the tested input, re-exported by src/calc.mjs, ended the run `complete`
 * (SECURITY.md, "Control-plane edits are inert and visible"). So a file the run's commits added or
 * changed under `.peers/` holds convergence until a commit takes it out again, unless it is, byte
 * for byte, the loop's own snapshot of that file (an operator who keeps the goals in git).
 * The same files keep the run's branch from being published (sandbox/publish-branch.ts): `peers
 * init` ignores `.peers/`, and git's checkout or merge of the branch overwrites an ignored file
 * without a word, so the user's next `peers up` would adopt the peers' config (a `notify:` command
 * the host runs) as the operator's (SECURITY.md, "Results come back as a branch"). The directory is
 * matched as a case-insensitive filesystem (macOS's default) matches it: a `.PEERS/config.yaml`
 * checks out there as `.peers/config.yaml`.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitBytes } from '../git/git.ts';
import { treeChanges, type TreeChanges } from '../git/tree-changes.ts';
import { CONTROL_DIR, underControlDir } from '../git/control-dir.ts';


export type ControlPlaneChange = { path: string; deleted: boolean };

/**
 * The changed `.peers/` paths that hold the run: every one added or modified whose content at HEAD
 * is not the snapshot's (a deletion runs nothing; a file the snapshot lacks always holds).
 */
export function heldControlPlaneFiles(changed: ControlPlaneChange[], atHead: (path: string) => Buffer | undefined, inSnapshot: (rel: string) => Buffer | undefined): string[] {
  const held: string[] = [];
  for (const c of changed) {
    if (c.deleted || !underControlDir(c.path)) continue;
    // The snapshot speaks for `.peers/` as spelled; a case variant of it is never the operator's.
    const snap = c.path.startsWith(`${CONTROL_DIR}/`) ? inSnapshot(c.path.slice(CONTROL_DIR.length + 1)) : undefined;
    const head = atHead(c.path);
    if (snap === undefined || head === undefined || !snap.equals(head)) held.push(c.path);
  }
  return held;
}

export type CommittedControlPlane = { ok: true; held: string[] } | { ok: false; error: string };

/**
 * heldControlPlaneFiles among `read` (the entries a range of the run changed, read in the trusted
 * mirror `repo`), against the loop's snapshot directory. Fails closed: a range git could not read
 * is `ok: false`, which holds the run.
 */
export function committedControlPlaneIn(repo: string, read: TreeChanges, snapshotDir: string): CommittedControlPlane {
  if (!read.ok) return read;
  const changes = read.changes.filter((c) => underControlDir(c.path));
  const shaOf = new Map(changes.map((c) => [c.path, c.sha]));
  const atHead = (path: string) => {
    try {
      return gitBytes(repo, ['cat-file', 'blob', shaOf.get(path)!]);
    } catch {
      return undefined;
    }
  };
  const inSnapshot = (rel: string) => {
    const p = join(snapshotDir, rel);
    if (!existsSync(p) || !lstatSync(p).isFile()) return undefined;
    return readFileSync(p);
  };
  return { ok: true, held: heldControlPlaneFiles(changes, atHead, inSnapshot) };
}

/** committedControlPlaneIn for what `base..head` changed (every file of `head` without a base). */
export function committedControlPlane(repo: string, base: string | undefined, head: string, snapshotDir: string): CommittedControlPlane {
  return committedControlPlaneIn(repo, treeChanges(repo, base, head), snapshotDir);
}
