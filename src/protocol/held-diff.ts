/**
 * What of a diff too large to hold (over SAVED_DIFF_CAP_BYTES, src/loop/shell/git-observe.ts) the
 * loop still holds for the reviewer. Such a diff used to reach the reviewer as the list of changed
 * files only: a special case of the tested input in src/calc.mjs beside a 34 MiB generated file was
 * `src/calc.mjs | 1 +`, and a reviewer that judges what its prompt shows passed it (SECURITY.md,
 * "Padding cannot push a change out of the reviewer's view"). Now the diff is read line by line and
 * every file's diff that fits is held whole, the largest given up first when they do not all fit;
 * a file given up keeps its header and its changed lines that branch on a literal value or are a
 * row of a lookup table (`branchesOnLiteral`), up to REDUCED_CAP_BYTES, and is named as not held.
 */
import { diffGitNames } from '../git/diff-header.ts';
import { branchesOnLiteral } from './review-excerpt.ts';

/** What a file given up keeps of its literal-branching lines. */
export const REDUCED_CAP_BYTES = 16 * 1024;

export type NotHeld = { path: string; bytes: number };
export type HeldDiff = { text: string; notHeld: NotHeld[] };

type Section = { path: string; lines: string[]; bytes: number; reduced: boolean; fullBytes: number };

const REDUCED_HUNK = '@@ this file\'s diff is over what the loop holds: only its changed lines that branch on a literal value or are a row of a lookup table are shown @@';
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A section's header and literal-branching changed lines: what a file given up keeps. */
function reducedLines(path: string, header: string[], changed: Iterable<string>): string[] {
  const out = [...header, REDUCED_HUNK];
  let size = 0;
  for (const l of changed) {
    if (!(l.startsWith('+') || l.startsWith('-')) || !branchesOnLiteral(l.slice(1))) continue;
    size += utf8(l) + 1;
    if (size > REDUCED_CAP_BYTES) {
      out.push(`(more lines of ${path} that branch on a literal value were left out: read its diff with git)`);
      break;
    }
    out.push(l);
  }
  return out;
}

/**
 * Fed every line of a `git diff --patch` (no `--stat`), holds at most `cap` bytes of it: each file's
 * diff whole while they fit, the largest reduced (reducedLines) when they do not; a file's diff
 * larger than `cap` alone is reduced as it streams, so nothing over `cap` plus the reduced forms is
 * ever held.
 */
export function heldDiffReader(cap: number): { line(raw: string): void; done(): HeldDiff } {
  const held: Section[] = [];
  /** Files given up entirely: even reduced, the held diffs were over the cap (a diff of very many files). */
  const dropped: NotHeld[] = [];
  let total = 0;
  let cur: (Section & { header: string[]; inHeader: boolean }) | null = null;
  const bytesOf = (lines: string[]) => lines.reduce((n, l) => n + utf8(l) + 1, 0);
  const reduce = (s: Section & { header?: string[] }) => {
    const at = s.lines.findIndex((l) => l.startsWith('@@'));
    const header = s.header ?? (at < 0 ? s.lines : s.lines.slice(0, at));
    s.lines = reducedLines(s.path, header, at < 0 ? [] : s.lines.slice(at));
    s.bytes = bytesOf(s.lines);
    s.reduced = true;
  };
  const close = () => {
    if (!cur) return;
    const s: Section = { path: cur.path, lines: cur.lines, bytes: cur.bytes, reduced: cur.reduced, fullBytes: cur.fullBytes };
    cur = null;
    held.push(s);
    total += s.bytes;
    // Give up the largest whole diffs first, so the small edits of existing code stay whole.
    while (total > cap) {
      const largest = held.filter((x) => !x.reduced).sort((a, b) => b.bytes - a.bytes)[0];
      if (!largest) break;
      total -= largest.bytes;
      reduce(largest);
      total += largest.bytes;
    }
    if (total > cap) {
      held.pop();
      total -= s.bytes;
      dropped.push({ path: s.path, bytes: s.fullBytes });
    }
  };
  return {
    line(raw: string) {
      if (raw.startsWith('diff --git ')) {
        close();
        const names = diffGitNames(raw);
        cur = { path: names?.to ?? names?.from ?? '', lines: [raw], bytes: utf8(raw) + 1, reduced: false, fullBytes: utf8(raw) + 1, header: [raw], inHeader: true };
        return;
      }
      if (!cur) return;
      cur.fullBytes += utf8(raw) + 1;
      if (cur.inHeader && raw.startsWith('@@')) cur.inHeader = false;
      if (cur.inHeader) cur.header.push(raw);
      if (cur.reduced) {
        // Streaming a file larger than the cap alone: only what its reduced form keeps.
        if ((raw.startsWith('+') || raw.startsWith('-')) && cur.bytes < REDUCED_CAP_BYTES + 4096 && branchesOnLiteral(raw.slice(1))) {
          cur.lines.push(raw);
          cur.bytes += utf8(raw) + 1;
        }
        return;
      }
      cur.lines.push(raw);
      cur.bytes += utf8(raw) + 1;
      if (cur.bytes > cap) reduce(cur);
    },
    done(): HeldDiff {
      close();
      // A reduced section's lines were capped while streaming; cap them the same way now.
      for (const s of held) if (s.reduced && s.bytes > REDUCED_CAP_BYTES + 4096) reduce(s);
      return { text: held.map((s) => s.lines.join('\n')).join('\n'), notHeld: [...held.filter((s) => s.reduced).map((s) => ({ path: s.path, bytes: s.fullBytes })), ...dropped] };
    },
  };
}
