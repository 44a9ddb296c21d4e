/**
 * A flood cannot fill the disk: the real `peers sidecar egress` and `peers sidecar auth` processes,
 * hammered with refused requests, keep their logs under the cap on disk, and the marker line counts
 * exactly the entries dropped. `peers logs --egress` still shows both files, oldest first.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDropMarker, ROTATED_SUFFIX } from '../../../src/fs/size-capped-log.ts';
import { stateDirFor } from '../../../src/state/paths.ts';

const repo = join(import.meta.dir, '../../..');
const main = join(repo, 'src/main.ts');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-log-flood-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[], env: NodeJS.ProcessEnv = process.env): { p: ChildProcess; err: () => string } {
  let err = '';
  const p = spawn(process.execPath, [main, ...args], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr!.on('data', (d) => (err += d));
  return { p, err: () => err };
}
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await Bun.sleep(25)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}
async function stop(p: ChildProcess): Promise<void> {
  const exited = new Promise((r) => p.on('exit', r));
  p.kill('SIGTERM');
  await exited;
}
/** Runs `n` jobs, `width` at a time. */
async function pool(n: number, width: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await job(next++);
  }));
}
const sizeOf = (p: string) => (existsSync(p) ? statSync(p).size : 0);
const linesOf = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []);

describe('a flood keeps the sidecars\' logs under their cap', () => {
  test('egress: 3000 refused CONNECTs, audit log ≤ cap on disk, records kept + dropped = 3000, `peers logs --egress` shows it all', async () => {
    // The audit log where `peers up` puts it for this project, so `peers logs --egress` finds it.
    const project = join(dir, 'app');
    mkdirSync(project);
    spawnSync('git', ['init', '-q', project]);
    const env = { ...process.env, XDG_STATE_HOME: join(dir, 'state'), PEERS_STATE_DIR: undefined } as NodeJS.ProcessEnv;
    const logDir = join(stateDirFor(project, env), 'sidecars', 'egress');
    mkdirSync(logDir, { recursive: true });
    const audit = join(logDir, 'egress.jsonl');
    const cap = 64 * 1024;
    const sock = join(dir, 'egress.sock');
    const egress = start(['sidecar', 'egress', '--listen', `unix:${sock}`, '--audit-log', audit, '--audit-log-max-bytes', String(cap)]);
    await until(() => egress.err().includes('listening on'), 'the egress proxy');
    const total = 3000;
    let refused = 0;
    let peak = 0;
    await pool(total, 32, (i) => new Promise<void>((resolve) => {
      const c = net.connect(sock);
      let got = '';
      c.on('connect', () => c.write(`CONNECT flood-${i}.example:443 HTTP/1.1\r\nHost: flood-${i}.example:443\r\n\r\n`));
      c.on('data', (d) => (got += d));
      c.on('close', () => {
        if (got.startsWith('HTTP/1.1 403')) refused++;
        if (i % 100 === 0) peak = Math.max(peak, sizeOf(audit) + sizeOf(audit + ROTATED_SUFFIX));
        resolve();
      });
      c.on('error', () => {});
    }));
    await stop(egress.p);
    expect(refused).toBe(total);
    expect(Math.max(peak, sizeOf(audit) + sizeOf(audit + ROTATED_SUFFIX))).toBeLessThanOrEqual(cap);
    const all = [...linesOf(audit + ROTATED_SUFFIX), ...linesOf(audit)];
    const records = all.filter((l) => parseDropMarker(l) === null).map((l) => JSON.parse(l) as { host: string; decision: string; status: number });
    const marker = parseDropMarker(linesOf(audit)[0]!)!;
    expect(marker.dropped_total).toBeGreaterThan(0);
    expect(records.length + marker.dropped_total).toBe(total);
    expect(records.every((r) => r.decision === 'deny' && r.status === 403 && /^flood-\d+\.example$/.test(r.host))).toBe(true);

    const shown = spawnSync(process.execPath, [main, 'logs', '--egress'], { cwd: project, env, encoding: 'utf8', timeout: 20_000 });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n').filter(Boolean)).toEqual(all);
    expect(shown.stdout).toContain(`"event":"log-rotated","dropped_total":${marker.dropped_total}`);
  }, 60_000);

  test('auth: 1500 requests failing upstream or held back, its log ≤ cap on disk, lines kept + dropped = 1500; the usage ledger is never rotated', async () => {
    const log = join(dir, 'auth.log');
    const ledger = join(dir, 'usage.jsonl');
    const cap = 32 * 1024;
    const port = 20000 + Math.floor(Math.random() * 20000);
    // The egress socket does not exist: every request fails with a logged 502.
    const auth = start(
      ['sidecar', 'auth', '--upstream', 'anthropic', '--port', `anthropic=${port}`, '--egress', `unix:${join(dir, 'absent.sock')}`, '--usage-ledger', ledger, '--log-file', log, '--log-max-bytes', String(cap)],
      { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-flood-test-0000' },
    );
    await until(() => auth.err().includes('listening'), 'the auth sidecar');
    const total = 1500;
    const statuses: Record<number, number> = {};
    await pool(total, 16, async (i) => {
      const r = await fetch(`http://127.0.0.1:${port}/v1/messages?n=${i}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await r.text();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    });
    await stop(auth.p);
    // Requests that bill nothing draw on the sidecar's shared throttle (SECURITY.md, the bill): the
    // first burst fails upstream (502), the rest are held back by the sidecar itself (429); each is logged.
    expect(statuses[502]).toBeGreaterThan(0);
    expect((statuses[502] ?? 0) + (statuses[429] ?? 0)).toBe(total);
    expect(sizeOf(log) + sizeOf(log + ROTATED_SUFFIX)).toBeLessThanOrEqual(cap);
    const all = [...linesOf(log + ROTATED_SUFFIX), ...linesOf(log)];
    const lines = all.filter((l) => parseDropMarker(l) === null);
    const marker = parseDropMarker(linesOf(log)[0]!)!;
    // One line per request, plus the one startup line that states the budget (the first to be dropped).
    expect(lines.length + marker.dropped_total).toBe(total + 1);
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z anthropic POST \/v1\/messages (502|429) /.test(l))).toBe(true);
    // The per-request lines went to the file, not to the container's log (stderr).
    expect(auth.err()).not.toContain('POST /v1/messages');
    // Billing data is never rotated or dropped, whatever the flood wrote to the log.
    expect(existsSync(ledger + ROTATED_SUFFIX)).toBe(false);
  }, 60_000);

  test('a bad --log-file or a cap below the minimum is exit 2 naming it', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [main, 'sidecar', ...args], { cwd: repo, encoding: 'utf8', timeout: 20_000, env: { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-x-0000' } });
    const missing = join(dir, 'no-such-dir', 'auth.log');
    const r = run(['auth', '--upstream', 'anthropic', '--usage-ledger', join(dir, 'u.jsonl'), '--log-file', missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${missing}: --log-file: its directory does not exist`);
    const small = run(['egress', '--listen', `unix:${join(dir, 'x.sock')}`, '--audit-log', join(dir, 'a.jsonl'), '--audit-log-max-bytes', '1000']);
    expect(small.status).toBe(2);
    expect(small.stderr).toContain('audit-log-max-bytes');
  }, 60_000);
});
