/**
 * The usage ledger the loop reads: one JSON line per metered reply, appended with one write on an
 * O_APPEND descriptor (fsync'd: this is the budget's record of spend). The sidecar keeps running
 * totals in memory, seeded from the existing file so a restart does not forget money spent.
 */
import { existsSync, lstatSync } from 'node:fs';
import { appendLineSafe } from '../../src/fs/atomic-write.ts';
import { readTextCapped } from '../../src/fs/safe-read.ts';
import type { Usage } from './usage-extract.ts';

export type LedgerLine = Usage & {
  ts: string;
  upstream: string;
  status: number;
  stream: boolean;
  total_tokens: number;
  usd: number;
  priced: 'table' | 'fallback';
};

export type UsageTotals = { replies: number; tokens: number; usd: number };

export function totalsOf(lines: Iterable<Pick<LedgerLine, 'total_tokens' | 'usd'>>): UsageTotals {
  const t: UsageTotals = { replies: 0, tokens: 0, usd: 0 };
  for (const l of lines) {
    t.replies++;
    t.tokens += l.total_tokens;
    t.usd += l.usd;
  }
  t.usd = Math.round(t.usd * 1e8) / 1e8;
  return t;
}

/** Reads a ledger; a torn last line (a crash mid-append) is ignored, other bad lines are errors. */
export function readLedger(path: string): LedgerLine[] {
  if (!existsSync(path)) return [];
  // Opening a FIFO would block startup forever; a symlink is refused by the no-follow read below.
  const st = lstatSync(path);
  if (!st.isFile() && !st.isSymbolicLink()) throw new Error(`${path}: not a regular file`);
  const lines = readTextCapped(path, 256 * 1024 * 1024).split('\n');
  const out: LedgerLine[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(JSON.parse(l) as LedgerLine);
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some((x) => x.trim())) throw new Error(`${path}:${i + 1}: not a JSON line`);
    }
  });
  return out;
}

export class UsageLedger {
  totals: UsageTotals;

  constructor(readonly path: string) {
    this.totals = totalsOf(readLedger(path));
  }

  append(line: LedgerLine): void {
    appendLineSafe(this.path, JSON.stringify(line));
    this.totals.replies++;
    this.totals.tokens += line.total_tokens;
    this.totals.usd = Math.round((this.totals.usd + line.usd) * 1e8) / 1e8;
  }
}
