/**
 * A rehearsal whose scenario ran out fails every later turn (the scripted server has nothing more
 * to say, so the peer makes no commit) until a cap stops it. The report's outcome must name that
 * cause, from the served log `peers up --rehearse` keeps in the state dir, before the cap's own
 * advice ("raise it"), which alone sends a new user the wrong way.
 */
import { afterAll, expect, test } from 'bun:test';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServedLog } from '../../../src/model-server/served-log.ts';
import { ZERO_USAGE } from '../../../src/model-server/scenario-schema.ts';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import type { RunHistory } from '../../../src/report/run-history.ts';
import { RECORDED_RUN } from './recorded.ts';

const scratch = mkdtempSync(join(tmpdir(), 'peers-script-ends-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function outcomeWith(served: ((log: ServedLog) => void) | null) {
  const dir = join(scratch, `run-${Math.random().toString(36).slice(2)}`);
  cpSync(RECORDED_RUN, dir, { recursive: true });
  if (served) {
    mkdirSync(join(dir, 'rehearsal'));
    served(new ServedLog(join(dir, 'rehearsal', 'served.jsonl')));
  }
  const history = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as RunHistory;
  return buildReportModel({ project: 'app', summary: readRunSummary(dir), history, egress: null, generatedAt: '2026-12-05T07:00:00.000Z' }).outcome;
}

const base = { api: 'anthropic' as const, endpoint: 'messages', stream: true, usage: ZERO_USAGE, cost_usd: null, status: 200 };

test('a rehearsal that ran past its script: the outcome says the scenario ran out, for which peer, first', () => {
  const outcome = outcomeWith((log) => {
    log.add({ ...base, peer: 'claude', tick: 0, step: 0, kind: 'reply' });
    for (const tick of [3, 4]) log.add({ ...base, peer: 'claude', tick, step: 0, kind: 'exhausted', message: "peer 'claude' has only 3 scripted tick(s)" });
    log.add({ ...base, api: 'responses', endpoint: 'responses', peer: 'codex', tick: 3, step: 0, kind: 'exhausted', message: "peer 'codex' has only 3 scripted tick(s)" });
  });
  expect(outcome.why[0]).toBe(
    "The rehearsal's scenario ran out (peer 'claude' has only 3 scripted tick(s); peer 'codex' has only 3 scripted tick(s)): the turns after that got no scripted reply and made no commit. Add ticks to your scenario (see rehearsal/scenario.yaml in the state dir), or give its last ticks the reviews the goals wait for.",
  );
  expect(outcome.why.slice(1).join(' ')).toContain('--max-ticks limit was reached');
});

test('a rehearsal whose script did not run out, and a run that was no rehearsal: no such line', () => {
  const played = outcomeWith((log) => log.add({ ...base, peer: 'claude', tick: 0, step: 0, kind: 'reply' }));
  const real = outcomeWith(null);
  expect(played.why).toEqual(real.why);
  expect(real.why.join(' ')).not.toContain('scenario');
});

test('a rehearsal continued with more ticks that ran out again: each peer\'s last end is said, not every session\'s', () => {
  const outcome = outcomeWith((log) => {
    for (const [peer, n] of [['claude', 2], ['codex', 2], ['claude', 3], ['codex', 3]] as const) {
      log.add({ ...base, peer, tick: n, step: 0, kind: 'exhausted', message: `peer '${peer}' has only ${n} scripted tick(s)` });
    }
  });
  expect(outcome.why[0]).toStartWith("The rehearsal's scenario ran out (peer 'claude' has only 3 scripted tick(s); peer 'codex' has only 3 scripted tick(s)):");
});

