/**
 * The usage ledger file without the sidecar: how a line is read, totalled, repaired and appended.
 * Fast (no process, no socket: files in a temp dir), so it is the test set that mutation testing
 * runs against auth-proxy/usage/usage-ledger.ts. The sidecar's own handling of a damaged or
 * unwritable ledger is in usage-ledger.test.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CUT_SHORT, isLimited, isRefusal, isReply, LedgerError, readLedger, readLedgerFile, repairTornTail, totalsOf, UsageLedger,
  type LedgerLine, type ReplyLine,
} from '../../../auth-proxy/usage/usage-ledger.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const BASE = { kind: 'reply', ts: '2026-12-01T00:00:00Z', upstream: 'anthropic', status: 200, stream: true, model: 'claude-sonnet-4-5', input_tokens: 900, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 1000, usd: 0.0042, priced: 'table' };
const reply = (over: Record<string, unknown> = {}) => JSON.stringify({ ...BASE, ...over });
const refusal = (over: Record<string, unknown> = {}) => JSON.stringify({ kind: 'refused', ts: '2026-12-01T00:00:01Z', upstream: 'openai', model: 'gpt-5', cap: 'max_usd', limit: 5, spent: 4.9, in_flight: 0, needed: 0.2, ...over });
const limited = (over: Record<string, unknown> = {}) => JSON.stringify({ kind: 'limited', ts: '2026-12-01T00:00:02Z', upstream: 'anthropic', status: 429, limit: 'usage', reset_at: '2026-12-01T05:00:00Z', source: 'anthropic-ratelimit-unified-reset', message: 'limit reached', ...over });
const tmp = () => join(tempDir('peers-ledger-file-'), 'usage.jsonl');
const ledgerOf = (...lines: string[]) => {
  const path = tmp();
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
};
/** The LedgerError message reading a ledger whose second line is `line`. */
function errorOn(line: string): string {
  const path = ledgerOf(reply(), line, reply());
  try {
    readLedgerFile(path);
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerError);
    expect((e as LedgerError).line).toBe(2);
    expect((e as LedgerError).path).toBe(path);
    expect((e as Error).name).toBe('LedgerError');
    return (e as Error).message.slice(`${path}:2: `.length);
  }
  throw new Error('the damaged line was read without an error');
}
const DAMAGED = "; the ledger is damaged: move it aside (the run's spend is then unknown) or repair the line";

describe('every line kind is read back as written', () => {
  test('a reply, a refusal and a limit line come back with their fields; only the reply is spend', () => {
    const full = reply({ path: '/v1/messages', cache_write_1h_tokens: 3, web_search_requests: 2, speed: 'fast', inference_geo: 'us', service_tier: 'priority', price_note: 'n', cut_short: 'stall', estimated: ['input', 'output'], rate_limits: { 'x-ratelimit-remaining': '3' } });
    const path = ledgerOf(full, refusal({ path: '/v1/responses' }), limited({ path: '/v1/messages' }), reply({ kind: undefined, usd: 0 }));
    const { lines, tornTail } = readLedgerFile(path);
    expect(tornTail).toBe(false);
    expect(lines).toEqual([JSON.parse(full), JSON.parse(refusal({ path: '/v1/responses' })), JSON.parse(limited({ path: '/v1/messages' })), JSON.parse(reply({ kind: undefined, usd: 0 }))]);
    expect(lines.map((l) => [isReply(l), isRefusal(l), isLimited(l)])).toEqual([[true, false, false], [false, true, false], [false, false, true], [true, false, false]]);
    expect(readLedger(path).map((l) => l.usd)).toEqual([0.0042, 0]);
  });

  test('every cut-short reason, every refusal cap and every limit kind is accepted', () => {
    expect([...CUT_SHORT]).toEqual(['client-abort', 'upstream-error', 'stall', 'no-final-usage', 'sidecar-stopped', 'usage-unreadable']);
    const path = ledgerOf(
      ...CUT_SHORT.map((c) => reply({ cut_short: c, estimated: ['output'] })),
      reply({ priced: 'fallback', price_note: 'unknown model' }),
      refusal({ cap: 'max_tokens' }), refusal({ cap: 'max_usd' }),
      limited({ limit: 'usage' }), limited({ limit: 'quota' }), limited({ limit: 'rate', reset_at: null }),
    );
    expect(readLedgerFile(path).lines).toHaveLength(CUT_SHORT.length + 6);
  });

  test('unknown extra fields (a newer sidecar) are kept, not refused', () => {
    const path = ledgerOf(reply({ future_field: 1 }), refusal({ future_field: 2 }), limited({ future_field: 3 }));
    expect(readLedgerFile(path).lines.map((l) => (l as Record<string, unknown>).future_field)).toEqual([1, 2, 3]);
  });

  test('blank lines between records are skipped; a missing ledger is an empty one', () => {
    const path = tmp();
    writeFileSync(path, `${reply()}\n\n  \n${reply({ total_tokens: 5 })}\n`);
    expect(readLedgerFile(path)).toEqual({ lines: [JSON.parse(reply()), JSON.parse(reply({ total_tokens: 5 }))], tornTail: false });
    expect(readLedgerFile(join(tmp(), 'nothing.jsonl'))).toEqual({ lines: [], tornTail: false });
    expect(readLedger(join(tmp(), 'nothing.jsonl'))).toEqual([]);
  });
});

describe('a line that is not a ledger line is an error naming the file, line, field and value', () => {
  test('a string total_tokens', () => {
    expect(errorOn(reply({ total_tokens: '1000' }))).toBe(`total_tokens: Invalid input: expected number, received string (got "1000")${DAMAGED}`);
  });

  test('an unknown pricing flag, line kind, cut-short reason or estimated side', () => {
    expect(errorOn(reply({ priced: 'free' }))).toStartWith('priced: ');
    expect(errorOn(reply({ priced: 'free' }))).toContain('(got "free")');
    expect(errorOn(reply({ kind: 'replied' }))).toStartWith('kind: ');
    expect(errorOn(reply({ cut_short: 'timeout' }))).toStartWith('cut_short: ');
    expect(errorOn(reply({ estimated: ['cache'] }))).toStartWith('estimated.0: ');
    expect(errorOn(reply({ estimated: ['cache'] }))).toContain('(got "cache")');
    expect(errorOn(reply({ rate_limits: { a: 1 } }))).toStartWith('rate_limits.a: ');
  });

  test('each required reply field, missing, is named', () => {
    for (const field of ['ts', 'upstream', 'status', 'stream', 'model', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'total_tokens', 'usd', 'priced']) {
      const msg = errorOn(reply({ [field]: undefined }));
      expect(msg).toStartWith(`${field}: `);
      expect(msg).not.toContain('(got');
    }
  });

  test('each optional reply field of the wrong type is named', () => {
    const wrong: Record<string, unknown> = { kind: 'x', path: 1, cache_write_1h_tokens: -1, web_search_requests: 1.5, speed: 1, inference_geo: 1, service_tier: 1, price_note: 1, cut_short: 'x', estimated: 'input', rate_limits: 'x' };
    for (const [field, value] of Object.entries(wrong)) expect(errorOn(reply({ [field]: value }))).toStartWith(`${field}: `);
  });

  test('each refusal field, missing or wrong, is named', () => {
    for (const field of ['ts', 'upstream', 'model', 'cap', 'limit', 'spent', 'in_flight', 'needed']) expect(errorOn(refusal({ [field]: undefined }))).toStartWith(`${field}: `);
    expect(errorOn(refusal({ cap: 'max_requests' }))).toStartWith('cap: ');
    expect(errorOn(refusal({ path: 7 }))).toStartWith('path: ');
    expect(errorOn(refusal({ spent: -1 }))).toStartWith('spent: ');
    expect(errorOn(refusal({ needed: 1e999 }).replace('"needed":null', '"needed":1e999'))).toStartWith('needed: ');
  });

  test('each limit field, missing or wrong, is named', () => {
    for (const field of ['ts', 'upstream', 'status', 'limit', 'source', 'message']) expect(errorOn(limited({ [field]: undefined }))).toStartWith(`${field}: `);
    expect(errorOn(limited({ reset_at: undefined }))).toStartWith('reset_at: ');
    expect(errorOn(limited({ limit: 'daily' }))).toStartWith('limit: ');
    expect(errorOn(limited({ path: 7 }))).toStartWith('path: ');
  });

  test('a fractional, negative or non-finite figure is refused, never counted', () => {
    expect(errorOn(reply({ input_tokens: 1.5 }))).toStartWith('input_tokens: ');
    expect(errorOn(reply({ output_tokens: -1 }))).toStartWith('output_tokens: ');
    expect(errorOn(reply({ usd: -0.01 }))).toContain('(got -0.01)');
    expect(errorOn(reply().replace('"usd":0.0042', '"usd":1e999'))).toStartWith('usd: ');
    expect(errorOn(reply({ status: 200.5 }))).toStartWith('status: ');
  });

  test('a line that is JSON but not an object is named as the whole line; garbage as not JSON', () => {
    expect(errorOn('42')).toBe(`(line): Invalid input: expected object, received number${DAMAGED}`);
    expect(errorOn('null')).toStartWith('(line): ');
    expect(errorOn('{"kind":"reply", garbage')).toBe(`not a JSON line${DAMAGED}`);
  });

  test('a damaged first line is named as line 1', () => {
    const path = ledgerOf(reply({ usd: 'x' }), reply());
    expect(() => readLedgerFile(path)).toThrow(`${path}:1: usd: `);
  });

  test('a damaged line number counts blank lines, so the operator finds it', () => {
    const path = tmp();
    writeFileSync(path, `${reply()}\n\n${reply({ usd: 'x' })}\n`);
    expect(() => readLedgerFile(path)).toThrow(`${path}:3: usd: `);
  });

  test('a ledger path that is a directory or a FIFO is refused without blocking', () => {
    const path = tmp();
    mkdirSync(path);
    expect(() => readLedgerFile(path)).toThrow(new LedgerError(path, 0, 'not a regular file'));
    expect(new LedgerError(path, 0, 'not a regular file').message).toBe(`${path}: not a regular file`);
    expect(() => repairTornTail(path)).toThrow(`${path}: not a regular file`);
    const fifo = tmp();
    if (spawnSync('mkfifo', [fifo]).status === 0) expect(() => readLedgerFile(fifo)).toThrow(`${fifo}: not a regular file`);
  });
});

describe('a torn tail', () => {
  test('a whole last line without its newline is counted; a half-written one is skipped', () => {
    const whole = tmp();
    writeFileSync(whole, `${reply()}\n${reply({ total_tokens: 7 })}`);
    expect(readLedgerFile(whole)).toEqual({ lines: [JSON.parse(reply()), JSON.parse(reply({ total_tokens: 7 }))], tornTail: true });
    const half = tmp();
    writeFileSync(half, `${reply()}\n${reply().slice(0, 40)}`);
    expect(readLedgerFile(half)).toEqual({ lines: [JSON.parse(reply())], tornTail: true });
    const spaces = tmp();
    writeFileSync(spaces, `${reply()}\n  `);
    expect(readLedgerFile(spaces)).toEqual({ lines: [JSON.parse(reply())], tornTail: false });
  });

  test('a torn last line that is damaged but whole JSON is skipped by readers, not an error', () => {
    const path = tmp();
    writeFileSync(path, `${reply()}\n${reply({ usd: 'x' })}`);
    const read = readLedgerFile(path);
    expect(read.lines).toHaveLength(1);
    expect(read).toEqual({ lines: [JSON.parse(reply())], tornTail: true });
  });

  test('repair completes a whole last line with exactly one newline', () => {
    const path = tmp();
    writeFileSync(path, `${reply()}\n${refusal()}`);
    expect(repairTornTail(path)).toBe('completed');
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n${refusal()}\n`);
    expect(repairTornTail(path)).toBe('none');
  });

  test('repair completes a ledger whose only line lacks its newline', () => {
    const path = tmp();
    writeFileSync(path, reply());
    expect(repairTornTail(path)).toBe('completed');
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n`);
  });

  test('repair cuts a half-written line back to the last whole one', () => {
    const path = tmp();
    writeFileSync(path, `${reply()}\n${reply({ total_tokens: 2 })}\n{"kind":"reply","ts":"2026`);
    expect(repairTornTail(path)).toBe('truncated');
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n${reply({ total_tokens: 2 })}\n`);
  });

  test('repair of a ledger that is only a half-written line leaves it empty', () => {
    const path = tmp();
    writeFileSync(path, '{"kind":"rep');
    expect(repairTornTail(path)).toBe('truncated');
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  test('repair leaves an empty, whole or missing ledger alone', () => {
    const empty = tmp();
    writeFileSync(empty, '');
    expect(repairTornTail(empty)).toBe('none');
    expect(readFileSync(empty, 'utf8')).toBe('');
    const whole = ledgerOf(reply());
    expect(repairTornTail(whole)).toBe('none');
    expect(readFileSync(whole, 'utf8')).toBe(`${reply()}\n`);
    expect(repairTornTail(join(tmp(), 'missing.jsonl'))).toBe('none');
  });

  test('repair finds the last newline in a ledger longer than its 1 MiB read window', () => {
    const path = tmp();
    const filler = `${reply({ price_note: 'x'.repeat(600 * 1024) })}\n`;
    writeFileSync(path, `${filler}${filler}{"kind":"rep`);
    expect(repairTornTail(path)).toBe('truncated');
    expect(readFileSync(path, 'utf8')).toBe(`${filler}${filler}`);
    writeFileSync(path, `${filler}${filler}${reply()}`);
    expect(repairTornTail(path)).toBe('completed');
    expect(readFileSync(path, 'utf8')).toBe(`${filler}${filler}${reply()}\n`);
  });

  test('a newline exactly at the start of the 1 MiB read window still ends a whole line', () => {
    const path = tmp();
    const torn = `{"kind":"reply","price_note":"${'z'.repeat(1024 * 1024 - 1 - 30)}`;
    expect(Buffer.byteLength(torn)).toBe(1024 * 1024 - 1);
    writeFileSync(path, `${reply()}\n${torn}`);
    expect(repairTornTail(path)).toBe('truncated');
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n`);
  });

  test('a last line over 1 MiB without an end is refused, not cut blindly', () => {
    const path = tmp();
    const text = `${reply()}\n{"kind":"reply","price_note":"${'x'.repeat(1024 * 1024 + 10)}`;
    writeFileSync(path, text);
    expect(() => repairTornTail(path)).toThrow(`${path}: its last line is longer than 1 MiB and has no end; the ledger is damaged: move it aside`);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  test('a ledger of exactly one unterminated 1 MiB line is still repaired', () => {
    const path = tmp();
    const line = reply({ price_note: '' });
    const padded = reply({ price_note: 'y'.repeat(1024 * 1024 - line.length) });
    expect(Buffer.byteLength(padded)).toBe(1024 * 1024);
    writeFileSync(path, padded);
    expect(repairTornTail(path)).toBe('completed');
    expect(readFileSync(path, 'utf8')).toBe(`${padded}\n`);
  });
});

describe('totals', () => {
  test('only replies count; refusals and limit lines cost nothing', () => {
    const lines = [reply(), refusal(), limited(), reply({ total_tokens: 5, usd: 0.5 })].map((l) => JSON.parse(l) as LedgerLine);
    expect(totalsOf(lines)).toEqual({ replies: 2, tokens: 1005, usd: 0.5042 });
    expect(totalsOf([])).toEqual({ replies: 0, tokens: 0, usd: 0 });
  });

  test('float noise in the sum is rounded away at 1e-8 USD', () => {
    const lines = [0.1, 0.2].map((usd) => JSON.parse(reply({ usd })) as LedgerLine);
    expect(totalsOf(lines).usd).toBe(0.3);
    expect(totalsOf([JSON.parse(reply({ usd: 0.123456789 })) as LedgerLine]).usd).toBe(0.12345679);
  });
});

describe('the sidecar handle', () => {
  test('is seeded from the file, so a restart does not forget money spent', () => {
    const path = ledgerOf(reply(), refusal(), reply({ usd: 1 }));
    const ledger = new UsageLedger(path);
    expect(ledger.repair).toBe('none');
    expect(ledger.totals).toEqual({ replies: 2, tokens: 2000, usd: 1.0042 });
    expect(ledger.broken).toBeNull();
  });

  test('appends one line per record and keeps running totals of replies only, rounded', () => {
    const path = join(tempDir('peers-ledger-file-'), 'usage.jsonl');
    const ledger = new UsageLedger(path);
    expect(ledger.totals).toEqual({ replies: 0, tokens: 0, usd: 0 });
    ledger.append(JSON.parse(reply({ total_tokens: 10, usd: 0.1 })) as ReplyLine);
    ledger.append(JSON.parse(refusal()) as LedgerLine);
    ledger.append(JSON.parse(limited()) as LedgerLine);
    ledger.append(JSON.parse(reply({ total_tokens: 20, usd: 0.2 })) as ReplyLine);
    ledger.append(JSON.parse(reply({ kind: undefined, total_tokens: 1, usd: 0.000000001 })) as ReplyLine);
    expect(ledger.totals).toEqual({ replies: 3, tokens: 31, usd: 0.3 });
    ledger.append(JSON.parse(reply({ total_tokens: 1, usd: 5 })) as ReplyLine);
    expect(ledger.totals).toEqual({ replies: 4, tokens: 32, usd: 5.3 });
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(7);
    expect(new UsageLedger(path).totals).toEqual({ replies: 4, tokens: 32, usd: 5.3 });
  });

  test('a failed append marks the ledger broken with the first error, and counts nothing', () => {
    const path = tmp();
    const ledger = new UsageLedger(path);
    rmSync(path, { force: true });
    mkdirSync(path);
    expect(() => ledger.append(JSON.parse(reply()) as ReplyLine)).toThrow();
    const first = ledger.broken;
    expect(first).toBeInstanceOf(Error);
    expect(() => ledger.append(JSON.parse(reply()) as ReplyLine)).toThrow();
    expect(ledger.broken).toBe(first);
    expect(ledger.totals).toEqual({ replies: 0, tokens: 0, usd: 0 });
  });
});
