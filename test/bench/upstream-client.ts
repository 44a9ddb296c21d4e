/**
 * Should the credential sidecar's hand-written HTTP client (auth-proxy/upstream-pool.ts) give way to
 * undici, which the project declares? Both are measured here on what the sidecar needs, in the same
 * run, on the sidecar's own path: each request over a kept-alive CONNECT tunnel through the egress
 * proxy's Unix socket (the compiled `peers sidecar egress`) to a vendor stand-in that streams an SSE
 * reply (its first event at once, the rest 5 ms later).
 *
 *   - time to the first body byte and to the end of the reply, requests of the two clients alternating;
 *   - streaming: the first chunk a client hands over must be the first event alone (nothing buffered);
 *   - tunnels opened (keep-alive);
 *   - memory: an idle `bun build --compile` program that loads and constructs each client.
 *
 * undici gets the sidecar's own connector (auth-proxy/egress-connector.ts, `openUpstreamSocket`),
 * so the tunnel, the Unix socket and TLS are the same for both. Under Bun, `import 'undici'` is
 * Bun's built-in stand-in (its Client does nothing); the package is imported by its path.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/upstream-client.ts [--requests 400] [--no-write]
 *
 * Rewrites the `## Upstream client (undici)` section of BENCHMARKS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { openUpstreamSocket } from '../../auth-proxy/egress-connector.ts';
import { UpstreamPool } from '../../auth-proxy/upstream-pool.ts';
import { type buildConnector, Client } from '../../node_modules/undici/index.js';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';
import { rssMiB, stopper, waitUntil } from './pod-processes.ts';

const ROOT = resolve(import.meta.dir, '../..');
const { flag, write: WRITE } = benchArgs();
const N = Number(flag('--requests') ?? 400);
const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));

const FIRST_EVENT = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_b', usage: { input_tokens: 10, output_tokens: 1 } } })}\n\n`;
const REST = `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', usage: { output_tokens: 5 } })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;

function startVendor(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(FIRST_EVENT);
      setTimeout(() => res.end(REST), 5);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function startEgress(socket: string, vendorPort: number, dir: string): Promise<ChildProcess> {
  const argv = ['sidecar', 'egress', '--listen', `unix:${socket}`, '--no-vendor-hosts', '--audit-log', join(dir, 'egress.jsonl'), '--test-resolve', 'api.peers.test=127.0.0.1', '--allow', `api.peers.test:${vendorPort}`];
  const proc = spawn(BINARY, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PEERS_EGRESS_TEST_MODE: '1' } });
  return waitUntil(proc, 'egress', (err) => err.includes('listening on')).then(() => proc);
}

type Timing = { first: number; total: number; firstChunk: string };

/** Reads a reply body: when its first chunk came, what it held, when the reply ended. */
async function timeBody(t0: number, body: AsyncIterable<Buffer | string>): Promise<Timing> {
  let first = 0;
  let firstChunk = '';
  for await (const chunk of body) {
    if (!first) {
      first = performance.now() - t0;
      firstChunk = String(chunk);
    }
  }
  return { first, total: performance.now() - t0, firstChunk };
}

const REQUEST = { method: 'POST', path: '/v1/messages', headers: { host: 'api.peers.test', 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ model: 'm', stream: true, messages: [] })) };

/** An idle compiled program that loads and constructs `client` (an import and one statement): its RSS after a second. */
async function idleProgram(dir: string, name: string, source: string): Promise<number> {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'main.ts'), `${source}\nsetInterval(() => {}, 1000);\nprocess.stderr.write('ready\\n');\n`);
  const built = Bun.spawnSync([process.execPath, 'build', 'main.ts', '--compile', '--bytecode', '--format=esm', '--outfile', 'main'], { cwd: d, stdout: 'pipe', stderr: 'pipe' });
  if (built.exitCode !== 0) throw new Error(`bun build --compile: ${built.stderr.toString()}`);
  const proc = spawn(join(d, 'main'), [], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitUntil(proc, name, (err) => err.includes('ready'));
  await Bun.sleep(1000);
  const rss = rssMiB(proc.pid!);
  await stopper(proc)();
  return rss;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dir = mkdtempSync(join(tmpdir(), 'peers-bench-upstream-'));
const children: ChildProcess[] = [];
try {
  const vendor = await startVendor();
  const vendorPort = (vendor.address() as net.AddressInfo).port;
  const socket = join(dir, 'egress.sock');
  children.push(await startEgress(socket, vendorPort, dir));
  const target = { tls: false, host: 'api.peers.test', port: vendorPort };
  const connect = { via: { path: socket } };

  const pool = new UpstreamPool(target, connect);
  let undiciTunnels = 0;
  const connector: buildConnector.connector = (_opts, callback) => {
    undiciTunnels++;
    openUpstreamSocket(target, connect).then((s) => callback(null, s), (e: Error) => callback(e, null));
  };
  const undici = new Client(`http://api.peers.test:${vendorPort}`, { connect: connector });
  const clients = {
    'UpstreamPool (auth-proxy/upstream-pool.ts)': async (): Promise<Timing> => {
      const t0 = performance.now();
      const res = await pool.request(REQUEST);
      return timeBody(t0, res.body as Readable);
    },
    [`undici ${(await import('../../node_modules/undici/package.json')).version} Client`]: async (): Promise<Timing> => {
      const t0 = performance.now();
      const res = await undici.request({ method: REQUEST.method, path: REQUEST.path, headers: REQUEST.headers, body: REQUEST.body });
      return timeBody(t0, res.body);
    },
  };
  const names = Object.keys(clients);
  const timings: Record<string, Timing[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < 30; i++) for (const n of names) await clients[n]!(); // warm-up
  for (let i = 0; i < N; i++) for (const n of i % 2 ? [...names].reverse() : names) timings[n]!.push(await clients[n]!());
  const streamed = Object.fromEntries(names.map((n) => [n, timings[n]!.every((t) => t.firstChunk === FIRST_EVENT)]));
  const tunnels = [pool.opened, undiciTunnels];
  await undici.close();
  pool.close();
  vendor.close();

  const pool0 = await idleProgram(dir, 'pool', `import { UpstreamPool } from ${JSON.stringify(join(ROOT, 'auth-proxy/upstream-pool.ts'))};\n(globalThis as Record<string, unknown>).c = new UpstreamPool({ tls: true, host: 'api.anthropic.com', port: 443 }, { via: { path: '/x' } });`);
  const undici0 = await idleProgram(dir, 'undici', `import { UpstreamPool } from ${JSON.stringify(join(ROOT, 'auth-proxy/upstream-pool.ts'))};\nimport { Client } from ${JSON.stringify(join(ROOT, 'node_modules/undici/index.js'))};\n(globalThis as Record<string, unknown>).c = [UpstreamPool, new Client('https://api.anthropic.com')];`);

  const rows = names.map((n, i) => {
    const t = timings[n]!;
    return `| ${n} | ${pct(t.map((x) => x.first), 50).toFixed(3)} | ${pct(t.map((x) => x.first), 99).toFixed(3)} | ${pct(t.map((x) => x.total), 50).toFixed(3)} | ${streamed[n] ? 'yes' : 'NO'} | ${tunnels[i]} |`;
  });
  const [a, b] = names.map((n) => pct(timings[n]!.map((x) => x.first), 50)) as [number, number];
  const section = [
    '## Upstream client (undici)',
    '',
    `\`bun test/bench/upstream-client.ts --requests ${N}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, loopback, load average ${loadavg()[0]!.toFixed(1)} at the end of the run.`,
    "Should the credential sidecar's hand-written keep-alive client (`auth-proxy/upstream-pool.ts`) give way to undici? Both clients in one process, requests alternating,",
    "each over a kept-alive CONNECT tunnel through the compiled egress proxy's Unix socket (undici is given the sidecar's own connector, so tunnel, socket and TLS are the same)",
    `to a vendor stand-in streaming an SSE reply (first event at once, the rest 5 ms later); ${N} requests each after 30 warm-up ones. "Streams" means every reply's first chunk was the first event alone.`,
    '',
    '| client | first byte p50 ms | first byte p99 ms | whole reply p50 ms | streams | tunnels opened |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    ...rows,
    '',
    `Idle RSS of a compiled program that loads the sidecar's client: ${pool0.toFixed(1)} MiB; the same also loading and constructing undici's Client: ${undici0.toFixed(1)} MiB (+${(undici0 - pool0).toFixed(1)}).`,
    `undici's first byte p50 is ${b - a >= 0 ? '+' : ''}${((b - a) * 1000).toFixed(0)} µs against the sidecar's client (×${(b / a).toFixed(2)}).`,
    '',
  ].join('\n');
  console.log(section);
  if (WRITE) console.log(`updated ${writeBenchmarkSection('Upstream client (undici)', section)}`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
