/**
 * The egress sidecar's TEST-ONLY resolver override (`--test-resolve NAME=IP`, proxy/test-resolve.ts),
 * which the pod e2e test uses to prove an allowed host really answers through the proxy. The real
 * `peers sidecar egress` process: refused outright without PEERS_EGRESS_TEST_MODE=1; with it, only
 * the mapped name is resolved from the table and only the mapped address escapes the guard.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUpstream, type Upstream } from '../proxy/helpers.ts';
import { waitFor } from '../../wait-for.ts';

const main = join(import.meta.dir, '../../../src/main.ts');
let dir: string;
let up: Upstream;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-test-resolve-'));
  up = await startUpstream();
});
afterAll(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One request through the proxy's Unix socket: CONNECT, then a GET inside the tunnel. */
function through(sock: string, authority: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    let buf = '';
    let tunneled = false;
    c.setTimeout(8000, () => c.destroy());
    c.on('connect', () => c.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    c.on('data', (d) => {
      buf += d;
      if (!tunneled && buf.includes('\r\n\r\n')) {
        if (!buf.startsWith('HTTP/1.1 200')) {
          buf = buf.split('\r\n')[0]!; // the refusal's status line
          return c.destroy();
        }
        tunneled = true;
        buf = '';
        c.write(`GET /hello HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);
      }
    });
    c.on('close', () => resolve(buf));
    c.on('error', () => resolve(buf));
  });
}

describe('--test-resolve (test only)', () => {
  test('without PEERS_EGRESS_TEST_MODE=1 the flag is refused (exit 2) and nothing listens', () => {
    const sock = join(dir, 'refused.sock');
    const env = { ...process.env };
    delete env.PEERS_EGRESS_TEST_MODE;
    for (const mode of [undefined, '0', 'true']) {
      const r = spawnSync(process.execPath, [main, 'sidecar', 'egress', '--listen', `unix:${sock}`, '--allow', 'upstream.test', '--test-resolve', 'upstream.test=127.0.0.1'], {
        encoding: 'utf8',
        timeout: 20_000,
        env: mode === undefined ? env : { ...env, PEERS_EGRESS_TEST_MODE: mode },
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('--test-resolve is for the test suite only and is refused unless PEERS_EGRESS_TEST_MODE=1 is set');
      expect(existsSync(sock)).toBe(false);
    }
  });

  test('with it: the mapped, allowed name reaches the local upstream; other names keep every rule', async () => {
    const sock = join(dir, 'egress.sock');
    const audit = join(dir, 'egress.jsonl');
    let err = '';
    const p: ChildProcess = spawn(
      process.execPath,
      [main, 'sidecar', 'egress', '--listen', `unix:${sock}`, '--audit-log', audit, '--allow', `upstream.test:${up.port}`, '--allow', `localhost:${up.port}`, '--test-resolve', 'upstream.test=127.0.0.1', '--test-resolve', 'unlisted.test=127.0.0.1'],
      { env: { ...process.env, PEERS_EGRESS_TEST_MODE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr!.on('data', (d) => (err += d));
    try {
      await waitFor('the egress proxy to listen', () => err.includes('listening on'), 15_000);
      expect(err).toContain('TEST MODE, resolving upstream.test=127.0.0.1');
      // Allowed and mapped: a real answer from the upstream.
      expect(await through(sock, `upstream.test:${up.port}`)).toContain(`upstream saw GET /hello host=upstream.test:${up.port}`);
      // Mapped but not allow-listed: the allow-list still decides.
      expect(await through(sock, `unlisted.test:${up.port}`)).toBe('HTTP/1.1 403 Forbidden');
      // Allow-listed, resolved by the system to loopback: the guard still refuses it.
      expect(await through(sock, `localhost:${up.port}`)).toBe('HTTP/1.1 403 Forbidden');
      expect(up.requests.map((r) => r.headers.host)).toEqual([`upstream.test:${up.port}`]);
      // The proxy writes a refusal's record just after sending it: another process may read first.
      const read = () => readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; decision: string; reason: string });
      await waitFor('three audit records', () => read().length >= 3, 2_000);
      const lines = read();
      expect(lines.map((l) => [l.host, l.decision])).toEqual([['upstream.test', 'allow'], ['unlisted.test', 'deny'], ['localhost', 'deny']]);
      expect(lines[1]!.reason).toContain('not on the egress allow-list');
      expect(lines[2]!.reason).toMatch(/loopback address/);
    } finally {
      p.kill('SIGTERM');
    }
  }, 30_000);

  test('a malformed entry is exit 2 naming the expected form', () => {
    const r = spawnSync(process.execPath, [main, 'sidecar', 'egress', '--listen', `unix:${join(dir, 'x.sock')}`, '--test-resolve', 'upstream.test'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PEERS_EGRESS_TEST_MODE: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('expected NAME=IP');
  });
});
