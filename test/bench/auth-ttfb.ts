/**
 * Time to first byte that the credential sidecar adds to a streamed (SSE) reply, versus calling
 * the upstream directly, on loopback:
 *
 *   client ──▶ vendor                                         (direct)
 *   client ──▶ auth sidecar ──CONNECT──▶ egress proxy ──▶ vendor   (via the sidecars, as in the pod)
 *
 *   node_modules/.bin/bun test/bench/auth-ttfb.ts [--requests 400] [--no-write]
 *
 * The vendor, the egress proxy and the auth sidecar each run in their own process (this script
 * re-executes itself with --child). The vendor sends the SSE head and first event at once, then
 * the rest 5 ms later. Direct and via requests alternate so drift hits both equally. TTFB is
 * measured from writing the request to receiving the first body byte. Rewrites the
 * `## Auth sidecar` section of BENCHMARKS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const FIRST_EVENT = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_b', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 10, output_tokens: 1 } } })}\n\n`;
const REST = `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;

async function runChild(role: string, rest: string[]): Promise<void> {
  if (role === 'vendor') {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(FIRST_EVENT);
        setTimeout(() => res.end(REST), 5);
      });
    });
    server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as net.AddressInfo).port}`));
    return;
  }
  if (role === 'egress') {
    const { AddressGuard } = await import('../../proxy/address-guard.ts');
    const { JsonlAuditLog } = await import('../../proxy/audit-log.ts');
    const { EgressPolicy } = await import('../../proxy/egress-policy.ts');
    const { EgressServer } = await import('../../proxy/egress-server.ts');
    const { StaticResolver } = await import('../../proxy/resolver.ts');
    const [vendorPort, socket, audit] = rest;
    const server = new EgressServer({
      policy: EgressPolicy.fromLists([`api.peers.test:${vendorPort}`]),
      resolver: new StaticResolver({ 'api.peers.test': ['127.0.0.1'] }),
      guard: new AddressGuard({ allowLoopbackForTests: true }),
      audit: new JsonlAuditLog(audit!),
    });
    await server.listen({ path: socket! });
    console.log('ready 0');
    return;
  }
  if (role === 'auth') {
    const { AuthServer } = await import('../../auth-proxy/auth-server.ts');
    const { ApiKeySource } = await import('../../auth-proxy/credential-source.ts');
    const { UPSTREAMS } = await import('../../auth-proxy/upstreams.ts');
    const { UsageLedger } = await import('../../auth-proxy/usage/usage-ledger.ts');
    const [vendorPort, socket, ledger] = rest;
    const server = new AuthServer({
      upstream: UPSTREAMS.anthropic,
      origin: `http://api.peers.test:${vendorPort}`,
      credentials: new ApiKeySource('x-api-key', 'sk-ant-bench-0000000000'),
      egress: { via: { path: socket! } },
      ledger: new UsageLedger(ledger!),
      caps: () => ({}),
    });
    console.log(`ready ${await server.listen('127.0.0.1', 0)}`);
  }
}

function startChild(argv: string[]): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolveStart, reject) => {
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolveStart({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
}

/** One streamed request; resolves with ms until the first body byte, after reading the whole reply. */
function ttfb(port: number): Promise<number> {
  return new Promise((res, rej) => {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const t0 = performance.now();
    let first = 0;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': 'placeholder' } }, (r) => {
      r.on('data', () => {
        if (!first) first = performance.now() - t0;
      });
      r.on('end', () => (r.statusCode === 200 ? res(first) : rej(new Error(`status ${r.statusCode}`))));
    });
    req.on('error', rej);
    req.end(body);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const N = Number(flag('--requests') ?? 400);
  const WRITE = !args.includes('--no-write');
  const dir = mkdtempSync(join(tmpdir(), 'peers-bench-auth-'));
  const self = [process.execPath, import.meta.path, '--child'];
  const children: ChildProcess[] = [];
  try {
    const vendor = await startChild([...self, 'vendor']);
    children.push(vendor.proc);
    const socket = join(dir, 'egress.sock');
    const egress = await startChild([...self, 'egress', String(vendor.port), socket, join(dir, 'egress.jsonl')]);
    children.push(egress.proc);
    const auth = await startChild([...self, 'auth', String(vendor.port), socket, join(dir, 'usage.jsonl')]);
    children.push(auth.proc);
    for (let i = 0; i < 30; i++) await Promise.all([ttfb(vendor.port), ttfb(auth.port)]); // warm-up
    const direct: number[] = [];
    const via: number[] = [];
    for (let i = 0; i < N; i++) {
      direct.push(await ttfb(vendor.port));
      via.push(await ttfb(auth.port));
    }
    direct.sort((a, b) => a - b);
    via.sort((a, b) => a - b);
    const ledgerLines = readFileSync(join(dir, 'usage.jsonl'), 'utf8').trim().split('\n').length;
    if (ledgerLines !== N + 30) throw new Error(`usage ledger has ${ledgerLines} lines, expected ${N + 30}`);
    const added50 = pct(via, 50) - pct(direct, 50);
    const added99 = pct(via, 99) - pct(direct, 99);
    console.log(`direct: TTFB p50 ${pct(direct, 50).toFixed(3)} ms, p99 ${pct(direct, 99).toFixed(3)} ms`);
    console.log(`via auth sidecar + egress proxy: TTFB p50 ${pct(via, 50).toFixed(3)} ms, p99 ${pct(via, 99).toFixed(3)} ms`);
    console.log(`added: p50 ${added50.toFixed(3)} ms (×${(pct(via, 50) / pct(direct, 50)).toFixed(2)}), p99 ${added99.toFixed(3)} ms`);
    if (WRITE) {
      const section = [
        '## Auth sidecar',
        '',
        `\`bun test/bench/auth-ttfb.ts --requests ${N}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, loopback, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (a shared machine: p99 figures are mostly scheduling noise).`,
        'Time to the first SSE byte of a streamed Messages reply (the vendor stand-in sends its first event at once), measured by the client from writing the request; direct and via-sidecar requests alternate.',
        '"Via" is the pod\'s path: auth sidecar (credential swap, usage meter, ledger append) → a CONNECT tunnel through the egress proxy on its Unix socket (allow-list, resolver, audit record) → vendor; each in its own process.',
        'The sidecar keeps its upstream tunnel alive and reuses it (as the CLIs do with their own connections), so after the first request no tunnel or TLS setup lies on the path; the client opens a new connection for every request on both paths.',
        '',
        '| path | TTFB p50 ms | TTFB p99 ms |',
        '| --- | ---: | ---: |',
        `| direct | ${pct(direct, 50).toFixed(3)} | ${pct(direct, 99).toFixed(3)} |`,
        `| via auth sidecar + egress proxy | ${pct(via, 50).toFixed(3)} | ${pct(via, 99).toFixed(3)} |`,
        '',
        `Added time to first byte: p50 ${added50.toFixed(3)} ms, p99 ${added99.toFixed(3)} ms (×${(pct(via, 50) / pct(direct, 50)).toFixed(2)} at p50). Goal (issue 6): under 5 ms added.`,
        '',
      ].join('\n');
      const file = writeBenchmarkSection('Auth sidecar', section);
      console.log(`updated ${file}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--child') await runChild(args[1]!, args.slice(2));
else await main();
