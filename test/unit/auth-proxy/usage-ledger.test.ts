/**
 * The usage ledger is the run's record of spend, so damage must never turn into "nothing spent":
 * - a torn last line (a crash mid-append) is repaired when the sidecar starts — completed if it is
 *   a whole ledger line, cut off otherwise — and the sidecar goes on appending a valid file;
 * - a line that cannot be read as numbers (a string `total_tokens` or `usd`, a negative, an
 *   infinite or missing figure) stops the sidecar at start (exit 2) with the file, the line and
 *   the field, instead of counting it as zero and leaving the caps disabled.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerError, readLedgerFile, repairTornTail, totalsOf, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { startFakeVendor } from './fake-vendor.ts';
import { call, startEgress, startSidecar } from './sidecar-fixture.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const REPO = join(import.meta.dir, '../../..');
const reply = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ kind: 'reply', ts: '2026-12-01T00:00:00Z', upstream: 'anthropic', status: 200, stream: true, model: 'claude-sonnet-4-5', input_tokens: 900, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, total_tokens: 1000, usd: 0.0042, priced: 'table', ...over });
/** Runs `peers sidecar auth` until it says it is listening (or exits); returns its stderr. */
function untilListening(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO, 'src/main.ts'), 'sidecar', 'auth', ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening')) p.kill('SIGTERM');
    });
    p.on('close', () => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}
const dir = () => tempDir('peers-ledger-');

describe('a torn tail', () => {
  test('a whole line missing only its newline is completed and counted', () => {
    const path = join(dir(), 'usage.jsonl');
    writeFileSync(path, `${reply()}\n${reply()}`);
    expect(readLedgerFile(path)).toMatchObject({ tornTail: true });
    expect(totalsOf(readLedgerFile(path).lines).tokens).toBe(2000);
    const ledger = new UsageLedger(path);
    expect(ledger.repair).toBe('completed');
    expect(ledger.totals).toEqual({ replies: 2, tokens: 2000, usd: 0.0084 });
    ledger.append(JSON.parse(reply({ total_tokens: 5, usd: 0.001 })));
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).total_tokens)).toEqual([1000, 1000, 5]);
  });

  test('a half-written line is cut off at start; before that, readers skip it instead of failing', () => {
    const path = join(dir(), 'usage.jsonl');
    const half = reply().slice(0, 60);
    writeFileSync(path, `${reply()}\n${half}`);
    // The loop and `peers status` read while the sidecar runs: a torn tail is not damage.
    expect(readLedgerFile(path)).toMatchObject({ tornTail: true, lines: [expect.objectContaining({ total_tokens: 1000 })] });
    const ledger = new UsageLedger(path);
    expect(ledger.repair).toBe('truncated');
    ledger.append(JSON.parse(reply({ total_tokens: 7 })));
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n${reply({ total_tokens: 7 })}\n`);
    expect(readLedgerFile(path).tornTail).toBe(false);
    expect(repairTornTail(path)).toBe('none');
  });

  test('`peers sidecar auth` starts on a torn ledger (it used to refuse with "not a JSON line") and says what it repaired', async () => {
    const d = dir();
    const path = join(d, 'usage.jsonl');
    writeFileSync(path, `${reply()}\n{"kind":"reply","ts":"2026-12-01T00:00:0`);
    const stderr = await untilListening(['--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', path, '--max-tokens', '10'], { ANTHROPIC_API_KEY: 'sk-ant-torn-0000000' });
    const r = { stderr };
    expect(r.stderr).toContain('a torn last line (a crash mid-write) was cut off');
    expect(r.stderr).toContain('spent so far $0.0042, 1000 tokens');
    expect(r.stderr).toContain('listening');
    expect(readFileSync(path, 'utf8')).toBe(`${reply()}\n`);
  }, 30_000);
});

describe('a line that cannot be read as numbers fails closed', () => {
  const cases: [string, string, string][] = [
    ['a string total_tokens', reply({ total_tokens: '1000' }), 'total_tokens'],
    ['a string usd', reply({ usd: '0.0042' }), 'usd'],
    ['a negative usd', reply({ usd: -5 }), 'usd'],
    ['an infinite usd', reply().replace('"usd":0.0042', '"usd":1e999'), 'usd'],
    ['a missing total_tokens', reply().replace('"total_tokens":1000,', ''), 'total_tokens'],
    ['a fractional token count', reply({ input_tokens: 1.5 }), 'input_tokens'],
    ['an unknown pricing flag', reply({ priced: 'free' }), 'priced'],
    ['a refusal with a string limit', JSON.stringify({ kind: 'refused', ts: 'x', upstream: 'openai', model: 'm', cap: 'max_usd', limit: '5', spent: 1, in_flight: 0, needed: 1 }), 'limit'],
    ['not JSON at all', '{"kind":"reply", garbage', 'not a JSON line'],
  ];
  for (const [what, line, field] of cases) {
    test(`${what} is an error naming the file, line and field`, () => {
      const path = join(dir(), 'usage.jsonl');
      writeFileSync(path, `${reply()}\n${line}\n${reply()}\n`);
      let error: unknown;
      try {
        readLedgerFile(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as Error).message).toStartWith(`${path}:2: `);
      expect((error as Error).message).toContain(field);
      expect(() => new UsageLedger(path)).toThrow(`${path}:2:`);
    });
  }

  test('`peers sidecar auth` refuses to start on it (exit 2), so the cap is never silently off', () => {
    const d = dir();
    const path = join(d, 'usage.jsonl');
    writeFileSync(path, `${reply({ total_tokens: '999999999' })}\n${reply()}\n`);
    const r = spawnSync(process.execPath, [join(REPO, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', path, '--max-tokens', '10'], {
      cwd: REPO, encoding: 'utf8', timeout: 20_000, env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-bad-00000000' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`usage ledger: ${path}:1: total_tokens: `);
    expect(r.stderr).toContain('(got "999999999")');
    expect(r.stderr).not.toContain('listening');
  }, 30_000);
});

describe('a ledger that can no longer be written', () => {
  test('stops every billable request (503, nothing forwarded) instead of spending unrecorded', async () => {
    const vendor = await startFakeVendor();
    const egress = await startEgress(vendor.port);
    const path = join(egress.dir, 'usage.jsonl');
    const side = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-ant-broken-0000000'), ledgerPath: path });
    try {
      expect((await call(side.url, '/v1/messages', { body: { max_tokens: 10 } })).status).toBe(200);
      // The file is replaced by something that cannot be appended to (as a full disk would refuse).
      rmSync(path);
      mkdirSync(path);
      // Its reservation cannot be written before it goes out: it is not sent (reservation-journal.ts).
      const seen = vendor.requests.length;
      const first = await call(side.url, '/v1/messages', { body: { max_tokens: 10 } });
      expect(first.status).toBe(503);
      expect(first.text).toContain('the usage ledger cannot be written');
      expect(vendor.requests.length).toBe(seen);
      const refused = await call(side.url, '/v1/messages', { body: { max_tokens: 10 } });
      expect(refused.status).toBe(503);
      expect(refused.text).toContain('the usage ledger cannot be written');
      expect(vendor.requests.length).toBe(seen);
    } finally {
      await side.close();
      await egress.close();
      await vendor.close();
    }
  });
});
