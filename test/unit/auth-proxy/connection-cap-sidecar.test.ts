/**
 * Attack: exhaust the auth sidecar's descriptors (its container has nofile 4096,
 * sandbox/podman-render.ts) by holding idle connections on every one of its ports. The cap was
 * 512 per port, so a sidecar with the three vendor ports and a few providers' ports could be held
 * at 512 per port: past 4096 descriptors it can open no tunnel to the vendor and no ledger file,
 * and every peer's model traffic fails.
 *
 * The property (SECURITY.md, "Limits" of the credential sidecar): the connection cap is the
 * sidecar's, over all its ports together; one more connection on any port is answered 503 and
 * closed. Against the real `peers sidecar auth` process.
 */
import { afterAll, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'peers-auth-conncap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens a connection and resolves once it is accepted and has stayed open a moment, or with the reply it got. */
function hold(port: number): Promise<{ sock: net.Socket; reply: string }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let reply = '';
    sock.on('error', () => {});
    sock.on('data', (d) => (reply += d.toString('latin1')));
    sock.on('connect', () => setTimeout(() => resolve({ sock, reply }), 5));
    sock.on('close', () => resolve({ sock, reply }));
  });
}

test('the connection cap covers every port together: held connections on one port refuse the next on another', async () => {
  const model = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('{}', { headers: { 'content-type': 'application/json' } }) });
  const p = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--upstream', 'openai', '--port', 'anthropic=0', '--port', 'openai=0', '--usage-ledger', join(dir, 'u.jsonl'), '--model-server', `127.0.0.1:${model.port}`], { cwd: repo, env: { ...process.env } });
  let log = '';
  p.stdout.on('data', (d) => (log += d));
  p.stderr.on('data', (d) => (log += d));
  const held: net.Socket[] = [];
  try {
    await waitFor('the sidecar to listen', () => /openai=http:\/\/127\.0\.0\.1:\d+/.test(log), 20_000);
    const a = Number(/anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]);
    const o = Number(/openai=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]);
    for (let i = 0; i < 512; i += 64) {
      const batch = await Promise.all(Array.from({ length: 64 }, () => hold(a)));
      for (const b of batch) {
        expect(b.reply).toBe('');
        held.push(b.sock);
      }
    }
    const other = await hold(o);
    await waitFor('a reply on the other port', () => other.reply.includes('\r\n\r\n'), 3000).catch(() => {}); // asserted next, with what came
    expect(other.reply).toStartWith('HTTP/1.1 503');
    // Freed: once the held ones go, the other port serves again.
    for (const s of held) s.destroy();
    await waitFor('a request on the other port to be served', async () => (await fetch(`http://127.0.0.1:${o}/v1/models`).then((r) => r.status).catch(() => 0)) === 200, 5000);
  } finally {
    for (const s of held) s.destroy();
    p.kill('SIGTERM');
    model.stop(true);
  }
}, 60_000);
