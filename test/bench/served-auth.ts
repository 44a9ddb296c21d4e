/**
 * The auth sidecar after it has served requests, for the memory benchmark: started with the pod's
 * command line (pod-processes.ts authArgv) but its anthropic upstream at a local stand-in vendor
 * (HTTPS, a throwaway certificate, in this process), with the environment sandbox/pod-env.ts gives
 * it (AUTH_SIDECAR_ENV), reached as in the pod through a
 * `peers sidecar egress` of the same binary on a Unix socket (allowed and resolved to the
 * stand-in with its test-only flags). Then `requests` streamed Messages requests with a 100 KB body
 * (about a Claude Code turn) go through it on one kept-alive connection, as auth-ttfb.ts sends them:
 * every one parsed, reserved against the budget policy's cap, metered and written to the ledger.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { AUTH_SIDECAR_ENV } from '../../sandbox/pod-env.ts';
import { writeBudgetPolicy } from '../../src/budget/budget-policy-file.ts';
import { authArgv, READY_LINE, stopper, waitUntil, type Started } from './pod-processes.ts';

const FIRST_EVENT = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_b', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 25_000, output_tokens: 1 } } })}\n\n`;
const REST = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } })}\n\nevent: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, max_tokens: 32_000, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });

/** A stand-in vendor answering every request with a streamed Messages reply; resolves with its port and a stop. */
function standInVendor(cert: string, key: string): Promise<{ port: number; stop(): Promise<void> }> {
  const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(FIRST_EVENT);
      res.end(REST);
    });
  });
  // The egress proxy's kept-alive connections, ended on stop: close() waits for every one.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    const closed = new Promise<boolean>((done) => server.close(() => done(true)));
    // Bounded: a connection the runtime still counts must neither hang the benchmark nor keep it alive.
    if (!(await Promise.race([closed, Bun.sleep(2000).then(() => false)]))) server.unref();
  };
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, stop })));
}

function post(agent: http.Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), 'x-api-key': 'placeholder' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`through the auth sidecar: status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** Starts the stand-in, the egress proxy and the auth sidecar under `dir`, sends `requests` through it; the auth sidecar is the process measured. */
/** A served auth sidecar; `serve(n)` sends it `n` more requests (on a new kept-alive connection) and waits for their ledger lines. */
export type ServedAuth = Started & { serve(more: number): Promise<void> };

export async function startServedAuth(binary: string, dir: string, requests: number, authEnv: Readonly<Record<string, string>> = AUTH_SIDECAR_ENV): Promise<ServedAuth> {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, 'vendor-cert.pem');
  const key = join(dir, 'vendor-key.pem');
  const ossl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=api.peers.test', '-addext', 'subjectAltName=DNS:api.peers.test'], { encoding: 'utf8' });
  if (ossl.status !== 0) throw new Error(`openssl: ${ossl.stderr}`);
  const vendor = await standInVendor(cert, key);
  const stops: (() => Promise<void>)[] = [vendor.stop];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const socket = join(dir, 'egress-vendor.sock');
    const egress = spawn(binary, ['sidecar', 'egress', '--listen', `unix:${socket}`, '--allow', `api.peers.test:${vendor.port}`, '--test-resolve', 'api.peers.test=127.0.0.1', '--audit-log', join(dir, 'egress.jsonl')], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PEERS_EGRESS_TEST_MODE: '1' },
    });
    stops.push(stopper(egress));
    await waitUntil(egress, 'egress (for the served auth sidecar)', (err) => READY_LINE.egress.test(err));
    const argv = authArgv(dir, `unix:${socket}`, '--origin', `anthropic=https://api.peers.test:${vendor.port}`);
    // The pod's policy, with a cap hundreds of these requests (~$0.08 each) do not reach.
    writeBudgetPolicy(join(dir, 'budget.json'), { version: 1, resolved_at: new Date().toISOString(), max_tokens: null, max_usd: 1000, max_usd_mode: 'hard', reason: 'bench', credentials: 'api-key', price_table: 'bench' });
    const auth = spawn(binary, argv, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ANTHROPIC_API_KEY: 'bench-placeholder', OPENAI_API_KEY: 'bench-placeholder', HOME: dir, ...authEnv, NODE_EXTRA_CA_CERTS: cert },
    });
    stops.push(stopper(auth));
    let stderr = '';
    auth.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    await waitUntil(auth, 'auth (served)', (err) => READY_LINE.auth.test(err));
    const port = Number(/anthropic=http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
    if (!port) throw new Error(`auth sidecar: no anthropic port in\n${stderr}`);
    let served = 0;
    const serve = async (more: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < more; i++) await post(agent, port);
      } finally {
        agent.destroy();
      }
      served += more;
      if (served === 0) return;
      // The sidecar appends a reply's ledger line once the reply has ended: the last may land just after.
      // Each request's `reserved` line precedes its reply's (auth-proxy/usage/reservation-journal.ts): only replies count.
      const metered = () => readFileSync(join(dir, 'usage.jsonl'), 'utf8').trim().split('\n').filter((l) => !/"kind":"(reserved|released)"/.test(l)).length;
      for (const deadline = Date.now() + 10_000; metered() < served && Date.now() < deadline; ) await Bun.sleep(20);
      if (metered() !== served) throw new Error(`usage ledger: ${metered()} lines, expected ${served} metered replies`);
    };
    await serve(requests);
    return { role: `auth after ${requests} requests`, pid: auth.pid!, stop: stopAll, serve };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
