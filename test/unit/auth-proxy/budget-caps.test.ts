/**
 * The spending caps without the sidecar: where a cap comes from, which one wins, when a request is
 * refused and what the refusal says, and how in-flight reservations add up and are released.
 * Fast (pure functions, files in a temp dir), so it is the test set mutation testing runs against
 * auth-proxy/usage/budget.ts. Races between real requests are in budget-race.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admit, budgetRefusal, capsFromEnv, capsFromFile, Reservations, tightest } from '../../../auth-proxy/usage/budget.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const spent = (tokens: number, usd: number) => ({ replies: 1, tokens, usd });
const none = { tokens: 0, usd: 0 };
const budgetFile = (text: string) => {
  const path = join(tempDir('peers-budget-'), 'budget.json');
  writeFileSync(path, text);
  return path;
};

describe('caps from the environment', () => {
  test('numbers are read, unset or empty variables are no cap', () => {
    expect(capsFromEnv({ PEERS_BUDGET_MAX_TOKENS: '5000', PEERS_BUDGET_MAX_USD: '2.5' })).toEqual({ maxTokens: 5000, maxUsd: 2.5 });
    expect(capsFromEnv({})).toEqual({ maxTokens: undefined, maxUsd: undefined });
    expect(capsFromEnv({ PEERS_BUDGET_MAX_TOKENS: '', PEERS_BUDGET_MAX_USD: '' })).toEqual({ maxTokens: undefined, maxUsd: undefined });
    expect(capsFromEnv({ PEERS_BUDGET_MAX_USD: '0' })).toEqual({ maxTokens: undefined, maxUsd: 0 });
  });

  test('a negative, non-numeric or infinite cap is an error naming the variable, never no cap', () => {
    expect(() => capsFromEnv({ PEERS_BUDGET_MAX_USD: '-1' })).toThrow('PEERS_BUDGET_MAX_USD: expected a non-negative number, got "-1"');
    expect(() => capsFromEnv({ PEERS_BUDGET_MAX_TOKENS: 'lots' })).toThrow('PEERS_BUDGET_MAX_TOKENS: expected a non-negative number, got "lots"');
    expect(() => capsFromEnv({ PEERS_BUDGET_MAX_USD: 'Infinity' })).toThrow('PEERS_BUDGET_MAX_USD: expected a non-negative number, got "Infinity"');
  });
});

describe('caps from a budget file', () => {
  test('a missing file is no cap; either key may be given', () => {
    expect(capsFromFile(join(tmpdir(), 'peers-no-such-budget.json'))).toEqual({});
    expect(capsFromFile(budgetFile('{"max_tokens": 100, "max_usd": 1.5}'))).toEqual({ maxTokens: 100, maxUsd: 1.5 });
    expect(capsFromFile(budgetFile('{"max_usd": 0}'))).toEqual({ maxTokens: undefined, maxUsd: 0 });
    expect(capsFromFile(budgetFile('{"max_tokens": null}'))).toEqual({ maxTokens: undefined, maxUsd: undefined });
  });

  test('a cap written as a string, even an empty one, is an error naming the file and key', () => {
    const path = budgetFile('{"max_usd": "5"}');
    expect(() => capsFromFile(path)).toThrow(`${path}: max_usd: expected a non-negative number, got "5"`);
    const empty = budgetFile('{"max_tokens": ""}');
    expect(() => capsFromFile(empty)).toThrow(`${empty}: max_tokens: expected a non-negative number, got ""`);
    const negative = budgetFile('{"max_tokens": -3}');
    expect(() => capsFromFile(negative)).toThrow(`${negative}: max_tokens: expected a non-negative number, got -3`);
  });

  test('a directory or a file over 64 KiB is refused; exactly 64 KiB is read', () => {
    const dir = tempDir('peers-budget-');
    mkdirSync(join(dir, 'budget.json'));
    expect(() => capsFromFile(join(dir, 'budget.json'))).toThrow(`${join(dir, 'budget.json')}: not a regular budget file of at most 64 KiB`);
    const body = '{"max_usd": 3}';
    const exact = budgetFile(body + ' '.repeat(64 * 1024 - body.length));
    expect(capsFromFile(exact)).toEqual({ maxTokens: undefined, maxUsd: 3 });
    const over = budgetFile(body + ' '.repeat(64 * 1024 - body.length + 1));
    expect(() => capsFromFile(over)).toThrow('not a regular budget file of at most 64 KiB');
  });
});

describe('the tightest cap wins', () => {
  test('the smallest of each cap given; a cap nobody gives stays off', () => {
    expect(tightest({ maxUsd: 5 }, { maxUsd: 2, maxTokens: 900 }, { maxTokens: 1000 })).toEqual({ maxTokens: 900, maxUsd: 2 });
    expect(tightest({ maxUsd: 0 }, { maxUsd: 3 })).toEqual({ maxTokens: undefined, maxUsd: 0 });
    expect(tightest({}, {})).toEqual({ maxTokens: undefined, maxUsd: undefined });
  });
});

describe('admission', () => {
  test('no caps: everything goes', () => {
    expect(admit({}, spent(1e12, 1e6), { tokens: 1e9, usd: 1e3 }, { tokens: 1e9, usd: 1e3 })).toEqual({ ok: true });
  });

  test('a request that brings spend exactly to the cap goes; one token or a cent more is refused', () => {
    expect(admit({ maxTokens: 1000 }, spent(600, 0), { tokens: 300, usd: 0 }, { tokens: 100, usd: 0 })).toEqual({ ok: true });
    expect(admit({ maxTokens: 1000 }, spent(600, 0), { tokens: 300, usd: 0 }, { tokens: 101, usd: 0 })).toMatchObject({ ok: false, cap: 'max_tokens', limit: 1000, spent: 600, inFlight: 300, needed: 101 });
    expect(admit({ maxUsd: 1 }, spent(0, 0.5), { tokens: 0, usd: 0.25 }, { tokens: 0, usd: 0.25 })).toEqual({ ok: true });
    expect(admit({ maxUsd: 1 }, spent(0, 0.5), { tokens: 0, usd: 0.25 }, { tokens: 0, usd: 0.26 })).toMatchObject({ ok: false, cap: 'max_usd', limit: 1, spent: 0.5, inFlight: 0.25, needed: 0.26 });
  });

  test('a spent token budget says it is spent and how to raise it', () => {
    const a = admit({ maxTokens: 1000 }, spent(1000, 0), none, { tokens: 1, usd: 0 });
    expect(a).toEqual({
      ok: false, cap: 'max_tokens', limit: 1000, spent: 1000, inFlight: 0, needed: 1,
      message: "peers: the run's token budget is spent (1000 of 1000 tokens); the request was not sent. Raise budget.max_tokens in .peers/config.yaml to continue.",
    });
  });

  test('a spent USD budget shows dollars to four places', () => {
    const a = admit({ maxUsd: 2 }, spent(0, 2.5), none, { tokens: 0, usd: 0.1 });
    expect(a.ok ? '' : a.message).toBe("peers: the run's USD budget is spent ($2.5000 of $2); the request was not sent. Raise budget.max_usd in .peers/config.yaml to continue.");
  });

  test('a budget not yet spent but too small for this request says what is held and needed', () => {
    const t = admit({ maxTokens: 1000 }, spent(500, 0), { tokens: 200.4, usd: 0 }, { tokens: 400.2, usd: 0 });
    expect(t.ok ? '' : t.message).toBe("peers: the run's token budget left cannot cover this request (500 of 1000 tokens spent, 201 tokens held by requests in flight, this one could use up to 401 tokens); the request was not sent. Raise budget.max_tokens in .peers/config.yaml to continue.");
    const u = admit({ maxUsd: 1 }, spent(0, 0.4), { tokens: 0, usd: 0.3 }, { tokens: 0, usd: 0.5 });
    expect(u.ok ? '' : u.message).toBe("peers: the run's USD budget left cannot cover this request ($0.4000 of $1 spent, $0.3000 held by requests in flight, this one could use up to $0.5000); the request was not sent. Raise budget.max_usd in .peers/config.yaml to continue.");
  });

  test('the token cap is checked first; the USD cap still refuses when tokens fit', () => {
    expect(admit({ maxTokens: 10, maxUsd: 0 }, spent(10, 1), none, { tokens: 1, usd: 1 })).toMatchObject({ cap: 'max_tokens' });
    expect(admit({ maxTokens: 1e6, maxUsd: 1 }, spent(10, 1), none, { tokens: 1, usd: 0.01 })).toMatchObject({ cap: 'max_usd', spent: 1 });
  });

  test('a zero USD cap refuses any request that could cost anything', () => {
    expect(admit({ maxUsd: 0 }, spent(0, 0), none, { tokens: 10, usd: 0.0001 })).toMatchObject({ ok: false, cap: 'max_usd' });
    expect(admit({ maxUsd: 0 }, spent(0, 0), none, { tokens: 10, usd: 0 })).toEqual({ ok: true });
  });
});

describe('reservations in flight', () => {
  test('each admitted request holds its worst case until released; the next is judged with it held', () => {
    const r = new Reservations();
    const caps = { maxTokens: 1000, maxUsd: 1 };
    const a = r.tryReserve(caps, spent(0, 0), { tokens: 600, usd: 0.5 });
    expect(a.admission).toEqual({ ok: true });
    expect(r.inFlight).toEqual({ tokens: 600, usd: 0.5 });
    expect(r.count).toBe(1);
    const b = r.tryReserve(caps, spent(0, 0), { tokens: 500, usd: 0.1 });
    expect(b.admission).toMatchObject({ ok: false, cap: 'max_tokens', inFlight: 600 });
    expect(r.count).toBe(1);
    b.release();
    expect(r.inFlight).toEqual({ tokens: 600, usd: 0.5 });
    const c = r.tryReserve(caps, spent(0, 0), { tokens: 400, usd: 0.5 });
    expect(c.admission).toEqual({ ok: true });
    expect(r.inFlight).toEqual({ tokens: 1000, usd: 1 });
    expect(r.count).toBe(2);
    a.release();
    expect(r.inFlight).toEqual({ tokens: 400, usd: 0.5 });
    expect(r.count).toBe(1);
    a.release(); // idempotent: a reply that ends twice does not free someone else's reservation
    expect(r.inFlight).toEqual({ tokens: 400, usd: 0.5 });
    c.release();
    expect(r.inFlight).toEqual({ tokens: 0, usd: 0 });
    expect(r.count).toBe(0);
  });

  test('the held figures are a copy: changing them does not change the reservation', () => {
    const r = new Reservations();
    r.tryReserve({}, spent(0, 0), { tokens: 5, usd: 0.5 });
    const seen = r.inFlight;
    seen.tokens = 0;
    expect(r.inFlight).toEqual({ tokens: 5, usd: 0.5 });
  });

  test('float drift is cleared once nothing is in flight, and never goes below zero', () => {
    const r = new Reservations();
    const rel = [0.1, 0.2, 0.7].map((usd) => r.tryReserve({}, spent(0, 0), { tokens: 1, usd }).release);
    rel[0]!();
    rel[1]!();
    expect(r.inFlight.usd).toBeCloseTo(0.7, 12);
    expect(r.inFlight.tokens).toBe(1);
    rel[2]!();
    expect(r.inFlight).toEqual({ tokens: 0, usd: 0 });
    const s = new Reservations();
    const big = s.tryReserve({}, spent(0, 0), { tokens: 1, usd: 0.3 });
    const small = s.tryReserve({}, spent(0, 0), { tokens: 1, usd: 0.1 });
    // 0.1 + 0.3 - 0.3 leaves 0.10000000000000003; then 0.1 more released must not go negative.
    big.release();
    expect(s.inFlight.usd).toBeGreaterThanOrEqual(0);
    small.release();
    expect(s.inFlight).toEqual({ tokens: 0, usd: 0 });
  });

  test('releasing more than the rounded sum still holds stops at zero while others are in flight', () => {
    const r = new Reservations();
    // 1e16 + 1 + 1 is 1e16 in floating point (tokens and USD alike): releasing the big one leaves 0 for two requests still held.
    const big = r.tryReserve({}, spent(0, 0), { tokens: 1e16, usd: 1e16 });
    const one = r.tryReserve({}, spent(0, 0), { tokens: 1, usd: 1 });
    r.tryReserve({}, spent(0, 0), { tokens: 1, usd: 1 });
    big.release();
    one.release();
    expect(r.inFlight).toEqual({ tokens: 0, usd: 0 });
    expect(r.count).toBe(1);
  });
});

describe('the refusal each CLI shows at once', () => {
  test('Anthropic: a 402 billing_error with the message', () => {
    expect(budgetRefusal('anthropic', 'no money')).toEqual({ status: 402, body: '{"type":"error","error":{"type":"billing_error","message":"no money"}}' });
  });
  test('OpenAI: a 400 invalid_request_error with peers_budget_exhausted', () => {
    expect(budgetRefusal('openai', 'no money')).toEqual({ status: 400, body: '{"error":{"message":"no money","type":"invalid_request_error","param":null,"code":"peers_budget_exhausted"}}' });
  });
});
