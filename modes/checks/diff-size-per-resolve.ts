/**
 * `diff-size-per-resolve`: a bug fix stays small. No `Bug-Resolves` commit since the run began
 * changes more than 200 lines (added + deleted) of one file — lockfiles aside, since a dependency
 * bump rewrites them — unless a later commit waives that file:
 *
 *     Diff-Size-Waive: <sha of the resolve>:<path>        (repeatable)
 *     with a JSON block {"reason": "<40+ characters: why this fix must be this big>"}
 *
 * written by a peer other than the fixer, or approved by one (check-repo.ts).
 *
 * Every file counts, one git calls binary too: its lines are counted as text (check-repo.ts,
 * numstat), so a NUL byte planted in a source file does not exempt a rewrite of it; a fix that
 * must change a large binary asks another peer for the waiver. Counts git cannot give fail the check.
 */
import { posix } from 'node:path';
import { jsonBlocks } from '../../src/protocol/json-blocks.ts';
import { baselineOrFail, describeBaseline, notVouchedWhy } from './baseline-or-fail.ts';
import { CheckRepoError, openCheckRepo, type NumstatRow } from './check-repo.ts';
import type { Check } from './types.ts';
import { shownName } from '../../src/cli/terminal-text.ts';

export const MAX_LINES_PER_FILE = 200;
export const WAIVER_REASON_MIN = 40;
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb', 'Cargo.lock', 'go.sum', 'poetry.lock', 'uv.lock', 'Pipfile.lock']);

export type Waiver = { sha: string; index: number; targets: Array<{ sha: string; path: string }>; reason: string };

export function waiverOf(sha: string, index: number, message: string): Waiver | undefined {
  const targets = [...message.matchAll(/^Diff-Size-Waive:[ \t]*([0-9a-f]{7,40}):(\S.*?)[ \t]*$/gm)].map((m) => ({ sha: m[1]!, path: m[2]! }));
  if (targets.length === 0) return undefined;
  const block = jsonBlocks(message).find((b) => typeof b.value.reason === 'string' || typeof b.value.note === 'string');
  const reason = String(block?.value.reason ?? block?.value.note ?? '');
  return { sha, index, targets, reason };
}

export const diffSizePerResolve: Check = {
  description: `No Bug-Resolves commit changes more than ${MAX_LINES_PER_FILE} lines of one file (lockfiles aside) without a Diff-Size-Waive another peer wrote or approved.`,
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: true, report: 'diff-size: no commits yet' };
    const base = baselineOrFail(repo, 'diff-size');
    if ('pass' in base) return base;
    const commits = repo.commits(`${base.sha}..${head}`);
    const waivers = commits.map((c, i) => waiverOf(c.sha, i, c.message)).filter((w): w is Waiver => w !== undefined);
    const bad: string[] = [];
    let resolves = 0;
    for (const [index, c] of commits.entries()) {
      if (c.trailers.all('Bug-Resolves').length === 0) continue;
      resolves++;
      const fixer = repo.peerOf(c.sha);
      let rows: NumstatRow[];
      try {
        rows = repo.numstat(c.sha);
      } catch (error) {
        if (error instanceof CheckRepoError) return { pass: false, report: `diff-size: ${error.message}` };
        throw error;
      }
      for (const row of rows) {
        const lines = row.added + row.deleted;
        if (LOCKFILES.has(posix.basename(row.path)) || lines <= MAX_LINES_PER_FILE) continue;
        const naming = waivers.filter((w) => w.index > index && w.targets.some((t) => c.sha.startsWith(t.sha) && t.path === row.path));
        const long = naming.filter((w) => w.reason.length >= WAIVER_REASON_MIN);
        if (long.some((w) => repo.vouched(w.sha, new Set(fixer ? [fixer] : [])).counts)) continue;
        const where = `  ${c.sha.slice(0, 8)} "${c.subject.slice(0, 60)}": ${shownName(row.path)} +${row.added}/-${row.deleted}`;
        if (long[0]) {
          const v = repo.vouched(long[0].sha, new Set(fixer ? [fixer] : []));
          bad.push(`${where} — waiver ${long[0].sha.slice(0, 8)}: ${v.counts ? '' : notVouchedWhy(long[0].sha, v.writer)}`);
        } else if (naming[0]) bad.push(`${where} — waiver ${naming[0].sha.slice(0, 8)} gives no reason of ${WAIVER_REASON_MIN}+ characters`);
        else bad.push(`${where} — split the fix, or waive it: "Diff-Size-Waive: ${c.sha.slice(0, 12)}:${row.path}" with {"reason": "…"} in a later commit`);
      }
    }
    if (bad.length === 0) return { pass: true, report: `diff-size: ${resolves} fix(es) since ${describeBaseline(base)}, none over ${MAX_LINES_PER_FILE} lines per file unwaived` };
    return { pass: false, report: [`diff-size: ${bad.length} oversized fix file(s) since ${describeBaseline(base)}:`, ...bad].join('\n') };
  },
};
