/**
 * A turn's spend is read once the sidecar's ledger has every line of the turn: nothing open at the
 * vendor and no growth over a poll (src/budget/ledger-spend.ts, readSettledLedger). It used to wait
 * out 300 ms of no growth after every turn: `peers down` during a turn, and every tick in the pod,
 * paid that wait; and a reply that settled after those 300 ms went to the next turn's meter.
 *
 * The waits here are the function's own polls, made by an injected sleep that appends the lines a
 * sidecar would write meanwhile: no test waits on a clock.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerSettled } from '../../../src/budget/ledger-spend.ts';
import { RunLedger } from '../../../src/loop/shell/run-ledger.ts';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-settled-ledger-'));
  path = join(dir, 'usage.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ts = '2026-12-08T01:00:00.000Z';
const reserved = (id: string) => JSON.stringify({ kind: 'reserved', ts, id, upstream: 'anthropic', path: '/v1/messages', model: 'claude-sonnet-4-5', input_tokens: 1000, output_tokens: 32000, usd: 0.483 });
const reply = (tokens: number, usd: number, reservation?: string) =>
  JSON.stringify({ kind: 'reply', ts, upstream: 'anthropic', path: '/v1/messages', status: 200, stream: true, model: 'claude-sonnet-4-5', input_tokens: tokens - 100, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: tokens, usd, priced: 'table', ...(reservation ? { reservation } : {}) });
const line = (text: string) => appendFileSync(path, `${text}\n`);

/** A sleep that runs `onPoll(n)` (n from 1) instead of waiting, and counts the polls. */
function polls(onPoll: (n: number) => void = () => {}) {
  const seen = { count: 0 };
  return { seen, sleep: async () => onPoll(++seen.count) };
}

test('settled means no growth over the last poll and nothing open at the vendor', () => {
  expect(ledgerSettled({ grew: false, inFlight: 0 })).toBe(true);
  expect(ledgerSettled({ grew: true, inFlight: 0 })).toBe(false);
  expect(ledgerSettled({ grew: false, inFlight: 1 })).toBe(false);
});

test('a turn with nothing at the vendor is metered after one poll, not a quiet period', async () => {
  line(reply(500, 0.01));
  const ledger = new RunLedger(path);
  ledger.readOrThrowInput();
  line(reply(2000, 0.05));
  const p = polls();
  const turn = await ledger.turnSpend({ sleep: p.sleep });
  expect(turn).toEqual({ tokens: 2000, usd: 0.05, limits: [] });
  expect(p.seen.count).toBe(1);
});

test('a request still at the vendor when the turn ends is metered to that turn once its reply settles it', async () => {
  const ledger = new RunLedger(path);
  ledger.readOrThrowInput();
  // The turn's last request went out (its reservation is on the ledger); its reply has not ended yet.
  line(reserved('r1'));
  // The sidecar settles it a while later: after the turn's end, after what used to be the quiet period.
  const p = polls((n) => {
    if (n === 20) line(reply(33_000, 0.41, 'r1'));
  });
  const turn = await ledger.turnSpend({ sleep: p.sleep, maxMs: 60_000 });
  expect(turn).toEqual({ tokens: 33_000, usd: 0.41, limits: [] });
  expect(p.seen.count).toBeGreaterThan(20);
  // The next turn starts from the settled ledger: the reply is not counted twice.
  const next = await ledger.turnSpend({ sleep: polls().sleep });
  expect(next).toEqual({ tokens: 0, usd: 0, limits: [] });
});

test('lines still coming are waited for; the ledger is read once they stop', async () => {
  const ledger = new RunLedger(path);
  ledger.readOrThrowInput();
  const p = polls((n) => {
    if (n <= 3) line(reply(1000, 0.02));
  });
  const turn = await ledger.turnSpend({ sleep: p.sleep });
  expect(turn).toEqual({ tokens: 3000, usd: 0.06, limits: [] });
});

test('a reservation nobody settles (the sidecar stopped) ends the wait at its limit, with what was settled', async () => {
  const ledger = new RunLedger(path);
  ledger.readOrThrowInput();
  line(reply(700, 0.03));
  line(reserved('lost'));
  const p = polls();
  const turn = await ledger.turnSpend({ sleep: p.sleep, maxMs: 0 });
  expect(turn).toEqual({ tokens: 700, usd: 0.03, limits: [] });
  expect(ledger.spend?.inFlight.requests).toBe(1);
});

test('a damaged ledger still holds the run after the wait', async () => {
  const ledger = new RunLedger(path);
  ledger.readOrThrowInput();
  writeFileSync(path, `${reply(700, 0.03)}\n{"kind":"reply","usd":"free"}\n${reply(1, 0)}\n`);
  expect(await ledger.turnSpend({ sleep: polls().sleep })).toBeNull();
});
