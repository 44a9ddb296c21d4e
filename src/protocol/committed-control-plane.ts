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
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitBytes } from '../git/git.ts';

const CONTROL_DIR = '.peers';

export type ControlPlaneChange = { path: string; deleted: boolean };

/**
 * The changed `.peers/` paths that hold the run: every one added or modified whose content at HEAD
 * is not the snapshot's (a deletion runs nothing; a file the snapshot lacks always holds).
 */
export function heldControlPlaneFiles(changed: ControlPlaneChange[], atHead: (path: string) => Buffer | undefined, inSnapshot: (rel: string) => Buffer | undefined): string[] {
  const held: string[] = [];
  for (const c of changed) {
    if (c.deleted || !(c.path === CONTROL_DIR || c.path.startsWith(`${CONTROL_DIR}/`))) continue;
    const snap = inSnapshot(c.path.slice(CONTROL_DIR.length + 1));
    const head = atHead(c.path);
    if (snap === undefined || head === undefined || !snap.equals(head)) held.push(c.path);
  }
  return held;
}

export type CommittedControlPlane = { ok: true; held: string[] } | { ok: false; error: string };

/**
 * heldControlPlaneFiles for `base..head` in `repo` (the trusted mirror), against the loop's snapshot
 * directory. Fails closed: a range git cannot read is `ok: false`, which holds the run.
 */
export function committedControlPlane(repo: string, base: string | undefined, head: string, snapshotDir: string): CommittedControlPlane {
  const args = base ? ['diff', '--name-status', '-z', '--no-renames', `${base}..${head}`, '--', CONTROL_DIR] : ['ls-tree', '-r', '-z', '--name-only', head, '--', CONTROL_DIR];
  const res = git(repo, args);
  if (res.code !== 0) return { ok: false, error: res.stderr.trim().slice(0, 300) || `git ${args[0]} failed` };
  const fields = res.stdout.split('\0').filter((f) => f !== '');
  const changed: ControlPlaneChange[] = [];
  if (base) {
    for (let i = 0; i + 1 < fields.length; i += 2) changed.push({ path: fields[i + 1] as string, deleted: (fields[i] as string).startsWith('D') });
  } else for (const f of fields) changed.push({ path: f, deleted: false });
  const atHead = (path: string) => {
    try {
      return gitBytes(repo, ['cat-file', 'blob', `${head}:${path}`]);
    } catch {
      return undefined;
    }
  };
  const inSnapshot = (rel: string) => {
    const p = join(snapshotDir, rel);
    if (!existsSync(p) || !lstatSync(p).isFile()) return undefined;
    return readFileSync(p);
  };
  return { ok: true, held: heldControlPlaneFiles(changed, atHead, inSnapshot) };
}
