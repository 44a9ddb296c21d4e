/**
 * What the credential sidecar adds to a model request, measured on the compiled binary as the pod
 * runs it, with usage metering and budget reservations on:
 *
 *   client ──TLS──▶ vendor                                                          (direct)
 *   client ──▶ peers sidecar auth ──CONNECT──▶ peers sidecar egress ──TLS──▶ vendor   (via, as in the pod)
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/auth-ttfb.ts [--requests 400] [--no-write] [--compare-bin OLD] [--compare-auth-env K=V,…] [--compare-label TEXT]
 *
 * `--compare-bin OLD` adds a third path through the auth sidecar of another build (e.g. one from
 * before metering and reservations), in the same run, so the cost of a change is measured
 * against its predecessor under the same load. Each auth sidecar runs with the environment
 * sandbox/pod-env.ts gives it in the pod (AUTH_SIDECAR_ENV); `--compare-auth-env` gives the
 * compared one another (e.g. the one its build's pod spec gave it; with no `--compare-bin`,
 * the same binary is compared under that environment). `--compare-label` names what is compared.
 * The vendor stand-in (this script with --child vendor, HTTPS with a throwaway certificate) answers
 * a streamed Messages reply: head and first event at once, the rest 5 ms later. Both sidecars are
 * `dist/peers` processes; the auth sidecar has a budget policy with caps (so every request is
 * parsed, reserved and settled) and appends one fsync'd ledger line per reply. Requests carry a
 * 100 KB body, about the size of a Claude Code turn. Both paths use one kept-alive client
 * connection (as the CLIs do, to the vendor or to the sidecar); direct and via requests
 * alternate, so drift hits both. TTFB is from writing the request to the first body byte; CPU is
 * each sidecar process's user+system time (/proc/PID/stat) over the measured requests. Rewrites
 * the `## Auth sidecar` section of BENCHMARKS.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';
import { AUTH_SIDECAR_ENV } from '../../sandbox/pod-env.ts';

const ROOT = resolve(import.meta.dir, '../..');
const PEERS = join(ROOT, 'dist', 'peers');
const { flag, write: WRITE } = benchArgs();

const FIRST_EVENT = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_b', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 25_000, output_tokens: 1 } } })}\n\n`;
const REST = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello' } })}\n\nevent: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } })}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n`;
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, max_tokens: 32_000, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] });

async function runVendor(cert: string, key: string): Promise<void> {
  const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(FIRST_EVENT);
      setTimeout(() => res.end(REST), 5);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`ready ${(server.address() as net.AddressInfo).port}`));
}

/** Starts a process and resolves when `ready` (its stdout or stderr) matches. */
function start(argv: string[], ready: RegExp, env: Record<string, string> = {}): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  return new Promise((ok, fail) => {
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const on = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) ok({ proc, match: m });
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (code) => fail(new Error(`${argv.join(' ')} exited ${code}:\n${out}`)));
  });
}

/** User + system CPU seconds of a process, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

type Timing = { ttfb: number; total: number };

function request(agent: http.Agent, url: URL, ca?: Buffer): Promise<Timing> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    let first = 0;
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      { host: url.hostname, servername: 'api.peers.test', port: url.port, method: 'POST', path: '/v1/messages', agent, ca, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), 'x-api-key': 'placeholder' } },
      (r) => {
        r.on('data', () => {
          if (!first) first = performance.now() - t0;
        });
        r.on('end', () => (r.statusCode === 200 ? res({ ttfb: first, total: performance.now() - t0 }) : rej(new Error(`status ${r.statusCode}`))));
      },
    );
    req.on('error', rej);
    req.end(BODY);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const f3 = (x: number) => x.toFixed(3);

async function main(): Promise<void> {
  const N = Number(flag('--requests') ?? 400);
  if (!existsSync(PEERS)) throw new Error('dist/peers is missing: run `bun build.ts` first (the benchmark measures the compiled binary)');
  const dir = mkdtempSync(join(tmpdir(), 'peers-bench-auth-'));
  const children: ChildProcess[] = [];
  try {
    const cert = join(dir, 'c.pem');
    const key = join(dir, 'k.pem');
    const ossl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=api.peers.test', '-addext', 'subjectAltName=DNS:api.peers.test'], { encoding: 'utf8' });
    if (ossl.status !== 0) throw new Error(`openssl: ${ossl.stderr}`);
    const vendor = await start([process.execPath, import.meta.path, '--child', 'vendor', cert, key], /ready (\d+)/);
    children.push(vendor.proc);
    const vendorPort = Number(vendor.match[1]);
    const socket = join(dir, 'egress.sock');
    const egress = await start([PEERS, 'sidecar', 'egress', '--listen', `unix:${socket}`, '--allow', `api.peers.test:${vendorPort}`, '--test-resolve', 'api.peers.test=127.0.0.1', '--audit-log', join(dir, 'egress.jsonl')], /listening/, { PEERS_EGRESS_TEST_MODE: '1' });
    children.push(egress.proc);
    const policy = join(dir, 'budget.json');
    writeFileSync(policy, JSON.stringify({ version: 1, resolved_at: new Date().toISOString(), max_tokens: 1e12, max_usd: 1e6, max_usd_mode: 'hard', reason: 'benchmark', credentials: 'api-key', price_table: 'bench' }));
    const ledger = join(dir, 'usage.jsonl');
    const startAuth = async (bin: string, ledgerFile: string, extra: string[], authEnv: Readonly<Record<string, string>>) => {
      const a = await start(
        [bin, 'sidecar', 'auth', '--upstream', 'anthropic', '--port', 'anthropic=0', '--origin', `anthropic=https://api.peers.test:${vendorPort}`, '--egress', `unix:${socket}`, '--usage-ledger', ledgerFile, ...extra],
        /anthropic=http:\/\/127\.0\.0\.1:(\d+)/,
        { ...authEnv, ANTHROPIC_API_KEY: 'sk-ant-bench-0000000000', NODE_EXTRA_CA_CERTS: cert },
      );
      children.push(a.proc);
      return a;
    };
    const auth = await startAuth(PEERS, ledger, ['--budget-policy', policy], AUTH_SIDECAR_ENV);
    const compareEnvFlag = flag('--compare-auth-env');
    const compareEnv = compareEnvFlag === undefined ? AUTH_SIDECAR_ENV : Object.fromEntries(compareEnvFlag.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const compareBin = flag('--compare-bin') ?? (compareEnvFlag === undefined ? undefined : PEERS);
    const compareLabel = flag('--compare-label') ?? 'before metering and reservations';
    // The same budget policy for both when comparing environments of one build; an earlier build may not read it.
    const old = compareBin ? await startAuth(resolve(compareBin), join(dir, 'old-usage.jsonl'), compareEnvFlag === undefined ? [] : ['--budget-policy', policy], compareEnv) : null;
    const directUrl = new URL(`https://127.0.0.1:${vendorPort}`);
    const viaUrl = new URL(`http://127.0.0.1:${auth.match[1]}`);
    const ca = readFileSync(cert);
    const directAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const viaAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const oldUrl = old ? new URL(`http://127.0.0.1:${old.match[1]}`) : null;
    const oldAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 30; i++) {
      await request(directAgent, directUrl, ca);
      await request(viaAgent, viaUrl);
      if (oldUrl) await request(oldAgent, oldUrl);
    }
    const direct: Timing[] = [];
    const via: Timing[] = [];
    const viaOld: Timing[] = [];
    const cpu0 = { auth: cpuSeconds(auth.proc.pid!), egress: cpuSeconds(egress.proc.pid!), old: old ? cpuSeconds(old.proc.pid!) : 0 };
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      direct.push(await request(directAgent, directUrl, ca));
      via.push(await request(viaAgent, viaUrl));
      if (oldUrl) viaOld.push(await request(oldAgent, oldUrl));
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = { auth: cpuSeconds(auth.proc.pid!) - cpu0.auth, egress: cpuSeconds(egress.proc.pid!) - cpu0.egress, old: old ? cpuSeconds(old.proc.pid!) - cpu0.old : 0 };
    for (const a of [directAgent, viaAgent, oldAgent]) a.destroy();
    // The sidecar appends a reply's ledger line once the reply has ended: the last may land just after.
    // Each request's `reserved` line precedes its reply's line (auth-proxy/usage/reservation-journal.ts): only replies are counted.
    const ledgerLines = () => readFileSync(ledger, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind !== 'reserved' && l.kind !== 'released');
    for (const deadline = Date.now() + 10_000; ledgerLines().length < N + 30 && Date.now() < deadline; ) await Bun.sleep(20);
    const lines = ledgerLines();
    if (lines.length !== N + 30 || lines.some((l) => l.kind === 'refused')) throw new Error(`usage ledger: ${lines.length} lines, expected ${N + 30} metered replies`);
    const sorted = (xs: Timing[], k: keyof Timing) => xs.map((x) => x[k]).sort((a, b) => a - b);
    const d = sorted(direct, 'ttfb');
    const v = sorted(via, 'ttfb');
    const dt = sorted(direct, 'total');
    const vt = sorted(via, 'total');
    const authMs = (cpu.auth * 1000) / N;
    const egressMs = (cpu.egress * 1000) / N;
    // The egress proxy carries both sidecars' tunnels when comparing: its CPU is per tunnelled request.
    const egressPerRequest = (cpu.egress * 1000) / (old ? 2 * N : N);
    const o = viaOld.length ? sorted(viaOld, 'ttfb') : null;
    const ot = viaOld.length ? sorted(viaOld, 'total') : null;
    const oldMs = (cpu.old * 1000) / N;
    if (o) console.log(`via ${compareBin}: TTFB p50 ${f3(pct(o, 50))} ms, p99 ${f3(pct(o, 99))} ms; CPU per request ${f3(oldMs)} ms`);
    console.log(`direct: TTFB p50 ${f3(pct(d, 50))} ms, p99 ${f3(pct(d, 99))} ms; whole reply p50 ${f3(pct(dt, 50))} ms`);
    console.log(`via: TTFB p50 ${f3(pct(v, 50))} ms, p99 ${f3(pct(v, 99))} ms; whole reply p50 ${f3(pct(vt, 50))} ms`);
    console.log(`added TTFB: p50 ${f3(pct(v, 50) - pct(d, 50))} ms, p99 ${f3(pct(v, 99) - pct(d, 99))} ms; CPU per request: auth ${f3(authMs)} ms, egress ${f3(egressPerRequest)} ms (${N} requests, ${wall.toFixed(1)} s)`);
    void egressMs;
    if (WRITE) {
      const section = [
        '## Auth sidecar',
        '',
        `\`bun build.ts && bun test/bench/auth-ttfb.ts --requests ${N}${flag('--compare-bin') ? ` --compare-bin ${compareBin}` : ''}${compareEnvFlag !== undefined ? ` --compare-auth-env ${compareEnvFlag}` : ''}${flag('--compare-label') ? ` --compare-label '${compareLabel.replaceAll('`', '')}'` : ''}\`, ${new Date().toISOString().slice(0, 10)}, the compiled \`dist/peers\`, ${cpus().length} × ${cpus()[0]?.model.trim()}, loopback, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (a shared machine: p99 figures are mostly scheduling noise).`,
        'A streamed Messages request with a 100 KB body (about a Claude Code turn); the vendor stand-in (HTTPS) sends the head and first event at once, the rest 5 ms later. Both paths use one kept-alive client connection, as the CLIs do; direct and via requests alternate.',
        `"Via" is the pod's path, both sidecars being \`dist/peers\` processes: \`peers sidecar auth\` with the environment sandbox/pod-env.ts gives it (${Object.entries(AUTH_SIDECAR_ENV).map(([k, v]) => `\`${k}=${v}\``).join(' ')}; path allow-list, credential swap, the request parsed and its worst case reserved against the budget policy's caps, every reply metered and one fsync'd ledger line appended) → a CONNECT tunnel through \`peers sidecar egress\` on its Unix socket (allow-list, resolver, audit record) → TLS to the vendor, kept alive.`,
        '',
        '| path | TTFB p50 ms | TTFB p99 ms | whole reply p50 ms |',
        '| --- | ---: | ---: | ---: |',
        `| direct (baseline, same run) | ${f3(pct(d, 50))} | ${f3(pct(d, 99))} | ${f3(pct(dt, 50))} |`,
        `| via auth sidecar + egress proxy | ${f3(pct(v, 50))} | ${f3(pct(v, 99))} | ${f3(pct(vt, 50))} |`,
        ...(o && ot ? [`| via the compared auth sidecar (${compareLabel}) + the same egress proxy | ${f3(pct(o, 50))} | ${f3(pct(o, 99))} | ${f3(pct(ot, 50))} |`] : []),
        '',
        `Added time to first byte: p50 ${f3(pct(v, 50) - pct(d, 50))} ms, p99 ${f3(pct(v, 99) - pct(d, 99))} ms (×${(pct(v, 50) / pct(d, 50)).toFixed(2)} at p50). Goal: under 5 ms added.`,
        `CPU per request (user + system, over the ${N} measured requests): auth sidecar ${f3(authMs)} ms${o ? ` (the compared one's: ${f3(oldMs)} ms)` : ''}, egress proxy ${f3(egressPerRequest)} ms.`,
        ...(o ? [`Against the compared auth sidecar (${compareLabel}) in the same run: TTFB p50 ${f3(pct(v, 50) - pct(o, 50))} ms, CPU ${f3(authMs - oldMs)} ms per request.`] : []),
        '',
      ].join('\n');
      console.log(`updated ${writeBenchmarkSection('Auth sidecar', section)}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await runVendor(argv[2]!, argv[3]!);
else await main();
