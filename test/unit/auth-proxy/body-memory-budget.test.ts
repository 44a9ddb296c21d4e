/**
 * Attack: a peer opens many connections to the auth sidecar and sends each a request body just
 * under the 32 MiB limit, holding back its last bytes. Each body was buffered whole in the sidecar
 * while it waited for the rest, with no bound across connections (64 requests in flight, 512
 * connections): a handful took the sidecar past its container's 256 MiB memory limit, and a
 * sidecar killed there stops every peer's requests (the run stops).
 *
 * The bound (SECURITY.md, "Limits"): the request bodies the sidecar buffers at once, over every
 * connection and upstream, are bounded (`maxBufferedBodyBytes`); a request whose body does not fit
 * is answered 503 before its body is read (a declared length) or as soon as it passes the bound
 * (chunked), so one 32 MiB body still goes out and the sidecar's memory stays under its limit.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { AUTH_SIDECAR_ENV } from '../../../sandbox/pod-env.ts';
import { waitFor } from '../../wait-for.ts';

const repo = join(import.meta.dir, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'peers-body-memory-'));
/** The auth container's memory limit (sandbox/pod-layout.ts DEFAULT_LIMITS.auth). */
const CONTAINER_LIMIT_MIB = 256;
const BODY_BYTES = 32 * 1024 * 1024 - 1024;

let sidecar: ChildProcess;
let port = 0;
let vendorRequests = 0;
let vendor: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  vendor = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    maxRequestBodySize: 64 * 1024 * 1024,
    fetch: async (req) => {
      vendorRequests++;
      await req.arrayBuffer();
      return Response.json({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 7, output_tokens: 3 } });
    },
  });
  sidecar = spawn(process.execPath, [join(repo, 'src/main.ts'), 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--usage-ledger', join(dir, 'usage.jsonl'), '--model-server', `127.0.0.1:${vendor.port}`], { cwd: repo, env: { ...process.env, ...AUTH_SIDECAR_ENV, PEERS_BUDGET_MAX_USD: '1000' } });
  let log = '';
  sidecar.stderr!.on('data', (d) => (log += d));
  await waitFor('the sidecar to print its anthropic listener', () => /anthropic=http:\/\/127\.0\.0\.1:(\d+)/.test(log), 20_000);
  port = Number(/anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)![1]);
});
afterAll(() => {
  sidecar?.kill('SIGKILL');
  vendor?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** The sidecar's resident memory now, in MiB (what the container's limit counts). */
const rssMiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${sidecar.pid}/status`, 'utf8'))![1]) / 1024;

/** A request whose body stops `heldBack` bytes short of what its head announced; resolves with the first reply bytes, if any. */
function holdBody(framing: 'length' | 'chunked'): { sock: Socket; reply: () => string } {
  const sock = connect(port, '127.0.0.1');
  let reply = '';
  sock.on('data', (d) => (reply += d.toString('latin1')));
  sock.on('error', () => {});
  const prefix = '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"';
  const filler = Buffer.alloc(BODY_BYTES - prefix.length - 10, 'a');
  const head = `POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n`;
  if (framing === 'length') {
    sock.write(`${head}content-length: ${BODY_BYTES}\r\n\r\n${prefix}`);
    sock.write(filler);
  } else {
    sock.write(`${head}transfer-encoding: chunked\r\n\r\n${prefix.length.toString(16)}\r\n${prefix}\r\n`);
    sock.write(Buffer.concat([Buffer.from(`${filler.length.toString(16)}\r\n`), filler, Buffer.from('\r\n')]));
  }
  return { sock, reply: () => reply };
}

test('bodies held back on many connections at once keep the sidecar under its memory limit; the ones past the bound are answered 503', async () => {
  const held = [...Array.from({ length: 6 }, () => holdBody('length')), ...Array.from({ length: 4 }, () => holdBody('chunked'))];
  let peak = 0;
  try {
    // Every connection has either been refused or had its body taken in (the sockets drained).
    await waitFor('every held body to be taken in or refused', () => {
      peak = Math.max(peak, rssMiB());
      return held.every((h) => h.reply() !== '' || h.sock.writableLength === 0);
    }, 30_000);
    for (let i = 0; i < 5; i++) peak = Math.max(peak, rssMiB(), (await Bun.sleep(50), 0));
    const refused = held.filter((h) => h.reply().startsWith('HTTP/1.1 503'));
    // Before: all ten bodies were buffered, 362 MiB (in the pod's environment for the sidecar); now about 90.
    expect(peak).toBeLessThan(CONTAINER_LIMIT_MIB);
    expect(refused.length).toBeGreaterThanOrEqual(8);
    expect(refused[0]!.reply()).toContain('request bodies');
  } finally {
    for (const h of held) h.sock.destroy();
  }
  // Once the held bodies are gone, a 32 MiB request goes out as before (peak about 170 MiB).
  const prefix = '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"';
  const body = `${prefix}${'b'.repeat(BODY_BYTES - prefix.length - 4)}"}]}`;
  let status = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 20);
  await waitFor('a whole 32 MiB request to be answered 200', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    status = r.status;
    await r.text();
    return status === 200;
  }, 20_000, 100).finally(() => clearInterval(sampler));
  expect(vendorRequests).toBeGreaterThanOrEqual(1);
  expect(peak).toBeLessThan(CONTAINER_LIMIT_MIB);
}, 60_000);
