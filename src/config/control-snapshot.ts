/**
 * The snapshot of the control plane (`.peers/config.yaml`, `goals.yaml`, `checks/`, `VERIFY.md`)
 * that a run enforces. The host takes it (`peers up`, or the host-only `peers loop` at start); in
 * the pod the loop only reads it, from a read-only mount. When the live files differ from the last
 * run's snapshot, nothing is adopted silently: the caller refuses with the diff until the operator
 * says `--accept-changes` — a peer on the host path, or anything else, may have edited them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../cli/errors.ts';
import { git } from '../git/git.ts';
import { MiB, readFileCapped } from '../fs/safe-read.ts';
import { detectControlPlaneEdits, readLiveControlFile, takeControlPlaneSnapshot, type ControlPlaneEdit } from '../protocol/control-plane-guard.ts';

const DIFF_CAP = 64 * 1024;

/** A unified diff of each edit (snapshot → live), capped; hermetic git, outside any repository. */
export function controlPlaneDiff(repo: string, snapshotDir: string, edits: ControlPlaneEdit[]): string {
  const parts: string[] = [];
  const copies = mkdtempSync(join(tmpdir(), 'peers-control-diff-'));
  try {
    for (const e of edits) {
      const rel = e.path.replace(/^\.peers\//, '');
      const before = existsSync(join(snapshotDir, rel)) ? join(snapshotDir, rel) : '/dev/null';
      // The live side is a copy read beneath the tree (never the peers' path: git diff --no-index
      // reads a FIFO to its end and follows a swapped directory), or nothing when it is not a
      // regular file reached through directories.
      const live = e.change === 'deleted' ? undefined : readLiveControlFile(repo, e.path);
      if (e.change !== 'deleted' && live === undefined) {
        parts.push(`${e.path}: ${e.change} (not a regular file, not shown)\n`);
        continue;
      }
      const after = live === undefined ? '/dev/null' : join(copies, String(parts.length));
      if (live !== undefined) writeFileSync(after, live, { mode: 0o600 });
      const r = git(tmpdir(), ['diff', '--no-index', '--no-color', '--no-ext-diff', '--no-textconv', before, after], { hermetic: true, env: { GIT_DIR: '/nonexistent' }, timeoutMs: 30_000 });
      parts.push(r.stdout ? (live === undefined ? r.stdout : r.stdout.replaceAll(after.slice(1), join(repo, e.path).slice(1))) : `${e.path}: ${e.change}\n`);
    }
  } finally {
    rmSync(copies, { recursive: true, force: true });
  }
  const text = parts.join('');
  return text.length > DIFF_CAP ? `${text.slice(0, DIFF_CAP)}\n…[diff truncated]\n` : text;
}

/** `peers verify`'s report in the control plane: not enforced, so never asked about. */
export const VERIFY_REPORT = '.peers/VERIFY.md';

export type AdoptResult = { first: boolean; adopted: ControlPlaneEdit[] };

/**
 * Takes the snapshot for a run from `repo`'s live `.peers/`. The first time it simply takes it;
 * afterwards a difference is refused (InputError, exit 2, with the diff) unless `accept`.
 */
export function adoptControlPlane(repo: string, snapshotDir: string, opts: { accept: boolean; command: string }): AdoptResult {
  const first = !existsSync(join(snapshotDir, 'config.yaml'));
  const edits = first ? [] : detectControlPlaneEdits(repo, snapshotDir);
  // VERIFY.md is what `peers verify` writes: a report, enforced by nothing; it is taken along.
  const enforced = edits.filter((e) => e.path !== VERIFY_REPORT);
  if (enforced.length && !opts.accept) {
    throw new InputError(`.peers/ changed since the last run's snapshot (${enforced.map((e) => `${e.path} ${e.change}`).join(', ')}):\n${controlPlaneDiff(repo, snapshotDir, enforced)}`, {
      location: { file: join(repo, '.peers') },
      hint: `review the diff (goals.yaml is code that runs as the gates), then run \`${opts.command} --accept-changes\` to adopt it`,
    });
  }
  if (first || edits.length) {
    // Files deleted from .peers/ must leave the snapshot too.
    for (const e of edits) if (e.change === 'deleted') rmSync(join(snapshotDir, e.path.replace(/^\.peers\//, '')), { force: true });
    takeControlPlaneSnapshot(repo, snapshotDir);
  }
  return { first, adopted: edits };
}

/**
 * The snapshot's fingerprint (config.yaml, then goals.yaml): the loop stores it in state.json, and a
 * different one at the next start is an operator action (src/loop/operator-actions.ts).
 */
export function snapshotDigest(snapshotDir: string): string {
  const config = join(snapshotDir, 'config.yaml');
  const goals = join(snapshotDir, 'goals.yaml');
  return createHash('sha256')
    .update(readFileCapped(config, 2 * MiB))
    .update('\0')
    .update(existsSync(goals) ? readFileCapped(goals, 2 * MiB) : '')
    .digest('hex');
}
