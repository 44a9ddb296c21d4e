/**
 * `api-stable`: no public symbol the code had at the run's start (the codemap of the baseline
 * commit) is gone or has another signature at HEAD, unless a line `Breaking-API: <symbol>: <why>`
 * in a commit since then says so, written by a peer other than the ones that changed the symbol's
 * file, or approved by one (check-repo.ts). New symbols are never breaking.
 */
import type { CodeSymbol } from '../../src/codemap/types.ts';
import { authorsOf, baselineOrFail, describeBaseline, notVouchedWhy } from './baseline-or-fail.ts';
import { openCheckRepo } from './check-repo.ts';
import { codemapAt } from '../../src/codemap/codemap-at.ts';
import type { Check } from './types.ts';
import { shownName } from '../../src/cli/terminal-text.ts';

const LISTED = 40;

export type ApiChange = { symbol: CodeSymbol; change: 'removed' | 'signature'; now?: string };

/** Breaking changes between two codemaps: public symbols removed or with another signature. */
export function apiChanges(before: CodeSymbol[], after: CodeSymbol[]): ApiChange[] {
  const now = new Map(after.map((s) => [s.id, s]));
  const out: ApiChange[] = [];
  for (const s of before) {
    const n = now.get(s.id);
    if (!n) out.push({ symbol: s, change: 'removed' });
    else if (n.signature !== s.signature) out.push({ symbol: s, change: 'signature', now: n.signature });
  }
  return out;
}

export type BreakingNote = { sha: string; symbol: string; reason: string };

export function breakingNotesIn(sha: string, message: string): BreakingNote[] {
  // A symbol id holds ":" itself (`src/a.ts:greet`): the symbol ends at the colon before a space.
  return [...message.matchAll(/^Breaking-API:[ \t]*(\S+):[ \t]+(.+?)[ \t]*$/gm)].map((m) => ({ sha, symbol: m[1]!, reason: m[2]! }));
}

/** A note names a symbol by its id (`file:Name`), qualified name (`Class.method`) or bare name. */
export function noteNames(note: string, s: CodeSymbol): boolean {
  const qualified = s.id.slice(s.id.indexOf(':') + 1);
  return note === s.id || note === qualified || note === s.name;
}

export const apiStable: Check = {
  description: "No public symbol of the run's start was removed or changed its signature without a Breaking-API line another peer wrote or approved.",
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: true, report: 'api-stable: no commits yet' };
    const base = baselineOrFail(repo, 'api-stable');
    if ('pass' in base) return base;
    const before = codemapAt(repo, base.sha);
    const changes = apiChanges(before, codemapAt(repo, head));
    if (changes.length === 0) return { pass: true, report: `api-stable: all ${before.length} public symbol(s) of ${describeBaseline(base)} unchanged` };
    const range = `${base.sha}..${head}`;
    const notes = repo.commits(range).flatMap((c) => breakingNotesIn(c.sha, c.message));
    const bad: string[] = [];
    for (const ch of changes) {
      const owners = authorsOf(repo, range, ch.symbol.file);
      const naming = notes.filter((n) => noteNames(n.symbol, ch.symbol));
      if (naming.some((n) => repo.vouched(n.sha, owners).counts)) continue;
      const what = ch.change === 'removed' ? 'removed' : `signature ${ch.symbol.signature} → ${ch.now}`;
      const first = naming[0];
      const v = first ? repo.vouched(first.sha, owners) : undefined;
      const why = first && v && !v.counts ? notVouchedWhy(first.sha, v.writer) : `no "Breaking-API: ${ch.symbol.name}: <why>" line since the run began`;
      bad.push(`  ${ch.symbol.id} (${ch.symbol.kind}, ${shownName(ch.symbol.file)}:${ch.symbol.line}): ${what} — ${why}`);
    }
    if (bad.length === 0) return { pass: true, report: `api-stable: ${changes.length} breaking change(s) since ${describeBaseline(base)}, each declared` };
    return {
      pass: false,
      report: [`api-stable: ${bad.length} undeclared breaking change(s) to the public API of ${describeBaseline(base)}:`, ...bad.slice(0, LISTED), ...(bad.length > LISTED ? [`  … and ${bad.length - LISTED} more`] : [])].join('\n'),
    };
  },
};
