/**
 * A synthetic 1,000-tick run written as a real state directory (state.json, runs.jsonl, stop
 * reason): the report must stay readable at that length and still count every tick.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshState } from '../../../src/state/state-schema.ts';
import { saveState } from '../../../src/state/state-store.ts';

export const LONG_TICKS = 1000;
const sha = (i: number) => createHash('sha1').update(String(i)).digest('hex');
/** `tests` is red at the commits of ticks 1–3 and 500–520, green elsewhere; `lint` always green. */
export const testsRedAt = (i: number) => i <= 3 || (i >= 500 && i <= 520);
export const failedTick = (i: number) => i % 7 === 0;

export function writeLongRun(ticks = LONG_TICKS): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-long-run-'));
  mkdirSync(join(dir, 'snapshot'));
  const lines: string[] = [];
  let tokens = 0;
  let usd = 0;
  for (let i = 1; i <= ticks; i++) {
    const fail = failedTick(i);
    tokens += 1000 + i;
    usd = Math.round((usd + 0.01) * 1e6) / 1e6;
    lines.push(
      JSON.stringify({
        event: 'tick', ts: new Date(Date.UTC(2026, 11, 4, 22) + i * 60_000).toISOString(), tick: i, peer: i % 2 ? 'alice' : 'bob',
        classification: fail ? 'process-fail' : 'success', success: !fail, cause: fail ? `sh exited 3: crash number ${i}` : undefined,
        duration_ms: 30_000, tokens_this_tick: 1000 + i, usd_this_tick: 0.01, spent_tokens_total: tokens, spent_usd_total: usd,
        head_before: sha(i - 1), head_after: fail ? sha(i - 1) : sha(i),
        gates: { head: sha(i - 1), hard: { tests: i > 1 && testsRedAt(i - 1) ? 'fail' : 'pass', lint: 'pass' }, soft: {} },
        findings: i % 100 === 0 ? [{ kind: 'test-marker', detail: `marker at tick ${i}`, action: 'warned' }] : [],
      }),
    );
  }
  lines.push(JSON.stringify({ event: 'exit', ts: new Date(Date.UTC(2026, 11, 5, 14)).toISOString(), reason: 'budget:max_usd', ticks_in_run: ticks, tick: ticks }));
  writeFileSync(join(dir, 'runs.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'last-stop-reason.txt'), 'budget:max_usd 2026-12-05T14:00:00.000Z\n');
  writeFileSync(join(dir, 'snapshot', 'config.yaml'), `peers:\n  - { name: alice, tool: custom, argv: [sh, a.sh] }\n  - { name: bob, tool: custom, argv: [sh, b.sh] }\nbudget:\n  max_usd: ${ticks / 100}\n  max_tokens: 2000000\n  max_ticks: 5000\n`);
  const s = freshState(['alice', 'bob']);
  saveState(join(dir, 'state.json'), {
    ...s,
    tick: ticks,
    budget: { ...s.budget, spent_tokens: tokens, spent_usd: usd },
    gates: { head: sha(ticks), results: { tests: { state: 'pass', diagnostic: '', duration_ms: 10, cached: false }, lint: { state: 'pass', diagnostic: '', duration_ms: 10, cached: false } }, red_streak: {}, counted_for_tick: ticks },
  });
  return dir;
}
