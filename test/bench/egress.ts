/**
 * The egress proxy against tinyproxy (Debian package), on loopback, in the same run:
 *   - throughput of one CONNECT tunnel (the target streams SIZE bytes down the tunnel), in
 *     interleaved rounds (tinyproxy then peers, then peers then tinyproxy, …) so both meet the same
 *     machine load; a round is won when peers carried the bytes at least as fast as tinyproxy,
 *   - tunnel setup latency (connect + CONNECT + "200" through to the target), N tunnels per proxy
 *     per round, interleaved the same way, p50/p99 over every round's samples,
 *   - RSS of each proxy process at start and its peak (VmHWM) after the run.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/egress.ts [--binary dist/peers] [--rounds 15] [--mib 256] [--tunnels 200] [--no-write]
 *
 * Ours is the compiled binary's real command, `peers sidecar egress` (audit log to a JSONL file, the
 * default limits). It may not connect to loopback, so it maps a test name to the target with its
 * test-only `--test-resolve` (PEERS_EGRESS_TEST_MODE=1; see SECURITY.md); tinyproxy is asked for
 * the numeric 127.0.0.1. Neither proxy therefore asks a resolver anything, and the comparison is the
 * proxies' own work. The target servers and the client run in other processes (this script
 * re-executes itself with --child target), so the client's work shares an event loop with neither
 * proxy. Rewrites the `## Egress proxy` section of BENCHMARKS.md.
 */
import type { Socket, SocketHandler } from 'bun';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const ROOT = resolve(import.meta.dir, '../..');
const { flag, write: WRITE } = benchArgs();
const TARGET_NAME = 'target.test';

/**
 * The target: on each connection, stream `bytes` then close; bytes=0 means stay idle until the
 * client closes (for setup-latency runs). Bun's native sockets writing one preallocated buffer, and
 * a client reading the same way (below), so that the proxies, not the ends, are what costs.
 */
function runTarget(bytes: number): void {
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const pump = (s: Socket<{ left: number }>) => {
    while (s.data.left > 0) {
      const n = Math.min(s.data.left, chunk.length);
      const written = s.write(chunk, 0, n);
      if (written > 0) s.data.left -= written;
      if (written < n) return; // the rest when the socket drains
    }
    s.end();
  };
  const server = Bun.listen<{ left: number }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open: (s) => {
        s.data = { left: bytes };
        if (bytes > 0) pump(s);
      },
      drain: pump,
      data: () => {},
      error: () => {},
    },
  });
  console.log(`ready ${server.port}`);
}

type Proxy = { name: string; version: string; proc: ChildProcess; port: number; authority: (targetPort: number) => string };

/** Starts a process and resolves with the port `ready` (a regex with one group) reads from its output. */
function startProcess(argv: string[], ready: RegExp, stream: 'stdout' | 'stderr', env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolveStart, reject) => {
    const proc = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'inherit'] });
    let out = '';
    proc[stream]!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolveStart({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${out}`)));
  });
}

async function startPeers(binary: string, dir: string, targetPorts: number[]): Promise<Proxy> {
  const argv = [
    binary, 'sidecar', 'egress', '--listen', '127.0.0.1:0', '--no-vendor-hosts', '--audit-log', join(dir, 'egress.jsonl'),
    '--test-resolve', `${TARGET_NAME}=127.0.0.1`, ...targetPorts.flatMap((p) => ['--allow', `${TARGET_NAME}:${p}`]),
  ];
  const { proc, port } = await startProcess(argv, /listening on 127\.0\.0\.1:(\d+)/, 'stderr', { ...process.env, PEERS_EGRESS_TEST_MODE: '1' });
  const version = spawnSync(binary, ['--version']).stdout.toString().trim();
  return { name: 'peers', version: `${version} (compiled, Bun ${Bun.version})`, proc, port, authority: (p) => `${TARGET_NAME}:${p}` };
}

async function startTinyproxy(dir: string, targetPorts: number[]): Promise<Proxy> {
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  // A configuration comparable to ours: loopback only, CONNECT to the target ports only, a
  // default-deny host filter with the one allowed name, errors-only logging.
  writeFileSync(join(dir, 'filter'), '^127\\.0\\.0\\.1$\n');
  writeFileSync(conf, [
    'User nobody', 'Group nogroup', `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 600', 'MaxClients 4096', 'Allow 127.0.0.1',
    ...targetPorts.map((p) => `ConnectPort ${p}`), `Filter "${join(dir, 'filter')}"`, 'FilterDefaultDeny Yes', 'FilterType ere', 'FilterURLs Off',
    'LogLevel Error', `LogFile "${join(dir, 'tinyproxy.log')}"`, 'DisableViaHeader Yes', '',
  ].join('\n'));
  // tinyproxy drops to nobody and must reach and create its log here.
  spawnSync('chmod', ['0755', resolve(dir, '..')]);
  spawnSync('chmod', ['1777', dir]);
  const proc = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) return { name: 'tinyproxy', version: spawnSync('tinyproxy', ['-v']).stdout.toString().trim(), proc, port, authority: (p) => `127.0.0.1:${p}` };
    await Bun.sleep(50);
  }
  proc.kill('SIGTERM');
  throw new Error('tinyproxy did not start');
}

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), r(true)));
    s.on('error', () => r(false));
  });
}

type Tunnel = { received: number; head: string; onHead: (ms: number) => void; onClose: () => void };

const CLIENT: SocketHandler<Tunnel> = {
  data(s, d) {
    if (s.data.head !== '\u0000') {
      s.data.received += d.length;
      return;
    }
    const text = d.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`a proxy's reply head came in pieces: ${text}`);
    s.data.head = text.slice(0, end);
    s.data.received += d.length - end - 4;
    s.data.onHead(performance.now());
  },
  close: (s) => s.data.onClose(),
  error: () => {},
};

/**
 * Opens a tunnel through `proxy`; resolves once the proxy said 200, with the time that took (from
 * before the TCP connect), a function that waits for the close and counts the bytes received.
 */
async function tunnel(proxy: Proxy, targetPort: number): Promise<{ ms: number; socket: Socket<Tunnel>; closed: Promise<number> }> {
  const authority = proxy.authority(targetPort);
  const t0 = performance.now();
  let headAt!: (ms: number) => void;
  let closedWith!: (received: number) => void;
  const head = new Promise<number>((r) => (headAt = r));
  const closed = new Promise<number>((r) => (closedWith = r));
  const state: Tunnel = { received: 0, head: '\u0000', onHead: headAt, onClose: () => closedWith(state.received) };
  const socket = await Bun.connect<Tunnel>({ hostname: '127.0.0.1', port: proxy.port, data: state, socket: CLIENT });
  socket.setNoDelay(true);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  const at = await Promise.race([head, closed.then(() => NaN)]);
  if (!/^HTTP\/1\.[01] 200/.test(state.head)) throw new Error(`${proxy.name} answered: ${state.head.split('\r\n')[0] || '(closed)'}`);
  return { ms: at - t0, socket, closed };
}

/** MiB/s of one tunnel carrying `bytes` from the target, timed from the proxy's 200 to the close. */
async function throughput(proxy: Proxy, targetPort: number, bytes: number): Promise<number> {
  const t = await tunnel(proxy, targetPort);
  const t0 = performance.now();
  const got = await t.closed;
  const s = (performance.now() - t0) / 1000;
  if (got !== bytes) throw new Error(`${proxy.name}: the tunnel carried ${got} of ${bytes} bytes`);
  return bytes / s / 2 ** 20;
}

async function setupTimes(proxy: Proxy, targetPort: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = await tunnel(proxy, targetPort);
    times.push(t.ms);
    t.socket.end();
    await t.closed;
  }
  return times;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** CPU time (user + system) the process has used so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));
  const ROUNDS = Number(flag('--rounds') ?? 15);
  const MIB = Number(flag('--mib') ?? 256);
  const N = Number(flag('--tunnels') ?? 200);
  statSync(BINARY);
  if (spawnSync('tinyproxy', ['-v']).status !== 0) {
    console.error('tinyproxy is not installed: apt-get install tinyproxy (listed in test/apt-packages.txt)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'peers-bench-egress-'));
  const self = [process.execPath, import.meta.path, '--child', 'target'];
  const children: ChildProcess[] = [];
  try {
    const bulk = await startProcess([...self, String((MIB / 2) * 2 ** 20)], /ready (\d+)/, 'stdout');
    const idle = await startProcess([...self, '0'], /ready (\d+)/, 'stdout');
    children.push(bulk.proc, idle.proc);
    const tiny = await startTinyproxy(mkdtempSync(join(dir, 'tp-')), [bulk.port, idle.port]);
    children.push(tiny.proc);
    const peers = await startPeers(BINARY, dir, [bulk.port, idle.port]);
    const peersStarted = performance.now();
    children.push(peers.proc);
    const proxies = [tiny, peers];
    const startRss = proxies.map((p) => statusMiB(p.proc.pid!, 'VmRSS'));
    // Warm-up: 100 tunnels and one transfer each, and ours past its first second (a sidecar runs
    // for hours; src/main.ts restores the normal JIT after the first second).
    for (const p of proxies) await setupTimes(p, idle.port, 100);
    for (const p of proxies) await throughput(p, bulk.port, (MIB / 2) * 2 ** 20);
    await Bun.sleep(Math.max(0, 1500 - (performance.now() - peersStarted)));

    const mibps: number[][] = [[], []];
    const cpuPerGiB: number[][] = [[], []];
    const cpuPerTunnel: number[][] = [[], []];
    const setup: number[][] = [[], []];
    let won = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // ABBA within a round (tinyproxy first in odd rounds): a machine getting busier or quieter
      // during a round weighs on both proxies alike.
      const order = r % 2 === 0 ? [0, 1, 1, 0] : [1, 0, 0, 1];
      const seconds = [0, 0];
      const cpu = [0, 0];
      for (const i of order) {
        const cpu0 = cpuMs(proxies[i]!.proc.pid!);
        seconds[i]! += (MIB / 2) / (await throughput(proxies[i]!, bulk.port, (MIB / 2) * 2 ** 20));
        cpu[i]! += cpuMs(proxies[i]!.proc.pid!) - cpu0;
      }
      for (const i of [0, 1]) {
        mibps[i]!.push(MIB / seconds[i]!);
        cpuPerGiB[i]!.push((cpu[i]! * 1024) / MIB);
      }
      const tunnelCpu = [0, 0];
      for (const i of order) {
        const cpu0 = cpuMs(proxies[i]!.proc.pid!);
        setup[i]!.push(...(await setupTimes(proxies[i]!, idle.port, N / 2)));
        tunnelCpu[i]! += cpuMs(proxies[i]!.proc.pid!) - cpu0;
      }
      for (const i of [0, 1]) cpuPerTunnel[i]!.push(tunnelCpu[i]! / N);
      if (mibps[1]![r]! >= mibps[0]![r]!) won++;
      console.log(`round ${r + 1}: tinyproxy ${mibps[0]![r]!.toFixed(0)} MiB/s (${cpuPerGiB[0]![r]!.toFixed(0)} CPU ms/GiB), peers ${mibps[1]![r]!.toFixed(0)} MiB/s (${cpuPerGiB[1]![r]!.toFixed(0)} CPU ms/GiB); setup p50 so far ${pct(setup[0]!, 50).toFixed(3)} / ${pct(setup[1]!, 50).toFixed(3)} ms, CPU per tunnel ${cpuPerTunnel[0]![r]!.toFixed(3)} / ${cpuPerTunnel[1]![r]!.toFixed(3)} ms`);
    }
    const peakRss = proxies.map((p) => statusMiB(p.proc.pid!, 'VmHWM'));
    const med = (xs: number[]) => pct(xs, 50);
    const addedP50 = pct(setup[1]!, 50) - pct(setup[0]!, 50);
    const roundP50Wins = Array.from({ length: ROUNDS }, (_, r) => pct(setup[1]!.slice(r * N, (r + 1) * N), 50) - pct(setup[0]!.slice(r * N, (r + 1) * N), 50)).filter((d) => d <= 0.15).length;
    const rows = proxies.map((p, i) =>
      `| ${p.version} | ${med(mibps[i]!).toFixed(0)} | ${Math.min(...mibps[i]!).toFixed(0)} | ${med(cpuPerGiB[i]!).toFixed(0)} | ${pct(setup[i]!, 50).toFixed(3)} | ${pct(setup[i]!, 99).toFixed(3)} | ${med(cpuPerTunnel[i]!).toFixed(3)} | ${startRss[i]!.toFixed(1)} | ${peakRss[i]!.toFixed(1)} |`);
    const summary = [
      `Throughput: peers at least tinyproxy's in **${won} of ${ROUNDS}** rounds (median ×${(med(mibps[1]!) / med(mibps[0]!)).toFixed(2)}, worst round ×${Math.min(...mibps[1]!.map((v, r) => v / mibps[0]![r]!)).toFixed(2)}).`,
      `Setup p50: ${addedP50 >= 0 ? '+' : ''}${(addedP50 * 1000).toFixed(0)} µs over tinyproxy (×${(pct(setup[1]!, 50) / pct(setup[0]!, 50)).toFixed(2)}); within +150 µs in ${roundP50Wins} of ${ROUNDS} rounds taken alone. p99 ×${(pct(setup[1]!, 99) / pct(setup[0]!, 99)).toFixed(2)}.`,
      "Goal: at least tinyproxy's throughput in every round, setup p50 within +0.15 ms.",
    ];
    console.log(summary.join('\n'));
    if (WRITE) {
      const section = [
        '## Egress proxy',
        '',
        `\`bun test/bench/egress.ts --rounds ${ROUNDS} --mib ${MIB} --tunnels ${N}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, loopback, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (a shared machine: p99 figures are mostly scheduling noise).`,
        `Ours is the compiled \`dist/peers sidecar egress\` with its JSONL audit log on; tinyproxy has a default-deny host filter and the target ports as its only CONNECT ports.`,
        `${ROUNDS} interleaved rounds. In each, every proxy carries ${MIB} MiB from the target to the client in two CONNECT tunnels of ${MIB / 2} MiB, one at a time, in the order`,
        `tinyproxy, peers, peers, tinyproxy (peers first in even rounds), so a machine that gets busier or quieter during a round weighs on both alike; its throughput is the bytes over the time of its two tunnels.`,
        `Then each proxy sets up ${N} sequential tunnels in the same order, ${N / 2} at a time (TCP connect + CONNECT + \`200\`, the proxy connecting to the target). Before the first round: 100 warm-up tunnels and one warm-up transfer each.`,
        "The target and the client use Bun's native sockets, writing from one buffer and only counting what they read, so that the proxies are what costs; CPU is each proxy process's user + system time over a round's transfer or tunnels (the steadier figure on a shared machine).",
        'Neither proxy resolves a name (tinyproxy is asked for 127.0.0.1; ours maps a test name with its test-only `--test-resolve`, the one way its guard lets it reach loopback), so the figures are the proxies\' own work.',
        '',
        '| proxy | MiB/s, one tunnel (median of rounds) | MiB/s, worst round | CPU ms per GiB carried | setup p50 ms | setup p99 ms | CPU ms per tunnel | RSS at start MiB | peak RSS MiB |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
        '',
        ...summary,
        '',
        'Per round, MiB/s (tinyproxy / peers): ' + mibps[0]!.map((v, r) => `${v.toFixed(0)}/${mibps[1]![r]!.toFixed(0)}`).join(', ') + '.',
        '',
      ].join('\n');
      console.log(`updated ${writeBenchmarkSection('Egress proxy', section)}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') runTarget(Number(argv[2]));
else await main();
