/**
 * Attack: the auth sidecar dies while requests it forwarded are still at the vendor (its container
 * is killed at its memory limit, say, which a peer can push it to). The vendor finishes and bills
 * them, but their reservations lived only in the dead process's memory and no reply line was ever
 * written: the restarted sidecar read a ledger without them and let the run spend the cap again.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): a request's
 * reservation is on the ledger (a `reserved` line) before it goes out, and its reply line names
 * it; a restarted sidecar counts every reservation no line settled as spent, at its reservation.
 */
import { afterAll, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsettledReservations } from '../../../auth-proxy/usage/reservation-journal.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { readLedgerSpend } from '../../../src/budget/ledger-spend.ts';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'peers-auth-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// claude-sonnet-4-5 with max_tokens 20000 is reserved at about $0.31 (20000 x $15/M plus the prompt
// bound): one request fits a $0.5 cap, two do not.
const CAP = '0.5';
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 20000, messages: [{ role: 'user', content: 'write a long essay' }] });

async function startSidecar(ledger: string, vendorPort: number): Promise<{ p: ChildProcess; url: string }> {
  const p = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', ledger, '--model-server', `127.0.0.1:${vendorPort}`], { cwd: repo, env: { ...process.env, PEERS_BUDGET_MAX_USD: CAP } });
  let log = '';
  p.stderr!.on('data', (d) => (log += d));
  await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.test(log), 20_000);
  return { p, url: `http://127.0.0.1:${/anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]}` };
}

test('a sidecar that dies with a request at the vendor counts it, at its reservation, when it starts again', async () => {
  let received = 0;
  const vendor = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    // The vendor is generating a long non-streamed reply (and will bill it) for as long as the test runs.
    fetch: (req) => {
      received++;
      if (req.headers.get('x-test') === 'ok') return Response.json({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 7, output_tokens: 3 } });
      if (req.headers.get('x-test') === 'error') return Response.json({ type: 'error', error: { type: 'invalid_request_error', message: 'no' } }, { status: 400 });
      return new Promise<Response>(() => {});
    },
  });
  const ledger = join(dir, 'usage.jsonl');
  let sidecar = await startSidecar(ledger, vendor.port!);
  try {
    // A reply and an error reply settle their reservations: nothing is left to count at a restart.
    for (const kind of ['ok', 'error']) await (await fetch(`${sidecar.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test': kind }, body: BODY })).text();
    await waitFor('both settled', () => unsettledReservations(readLedgerFile(ledger).lines).length === 0 && received === 2, 5_000);
    received = 0;
    void fetch(`${sidecar.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY }).catch(() => {});
    await waitFor('the request to reach the vendor', () => received === 1, 10_000);
    // `peers status` shows it as held at the vendor meanwhile.
    const held = readLedgerSpend(ledger)!;
    expect(held.inFlight.requests).toBe(1);
    expect(held.inFlight.usd).toBeGreaterThan(0.3);
    sidecar.p.kill('SIGKILL');
    await new Promise((r) => sidecar.p.once('exit', r));
    sidecar = await startSidecar(ledger, vendor.port!);
    let again: { status: number; text: string } | null = null;
    void fetch(`${sidecar.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY }).then(async (r) => (again = { status: r.status, text: await r.text() }), () => {});
    await waitFor('the second request to be answered or sent on', () => again !== null || received === 2, 10_000);
    // Before: the restarted sidecar saw $0 spent and sent it (two requests billed past a cap that fits one).
    expect(received).toBe(1);
    expect(again!.status).toBe(402);
    expect(again!.text).toContain('budget');
    const replies = readLedgerFile(ledger).lines.filter(isReply);
    expect(replies.map((l) => l.cut_short)).toEqual([undefined, 'sidecar-stopped']);
    expect(replies[1]!.usd).toBe(held.inFlight.usd);
    expect(readLedgerSpend(ledger)!.inFlight.requests).toBe(0);
  } finally {
    sidecar.p.kill('SIGKILL');
    vendor.stop(true);
  }
}, 60_000);
