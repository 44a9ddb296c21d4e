/**
 * The egress proxy against tinyproxy (Debian package), on loopback, in the same run:
 *   - throughput of one CONNECT tunnel (the target streams SIZE bytes down the tunnel),
 *   - tunnel setup latency (connect + CONNECT + "200" through to the target) p50/p99 over N tunnels,
 *   - peak RSS (VmHWM) of each proxy process after the run.
 *
 *   node_modules/.bin/bun test/bench/egress.ts [--mib 1024] [--tunnels 2000] [--no-write]
 *
 * Each proxy and the target server run in their own process (this script re-executes itself with
 * --child), so the client's work does not share an event loop with the proxy it measures. Both
 * proxies resolve the same name ("localhost") through the system resolver; ours runs with its
 * audit log on (a JSONL file) and the test-only loopback override, since the target is local.
 * Rewrites the `## Egress proxy` section of BENCHMARKS.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function runChild(role: string, rest: string[]): Promise<void> {
  if (role === 'target') {
    // Port P: on each connection, stream `bytes` (first arg) then close; bytes=0 means stay idle
    // until the client closes (for setup-latency runs).
    const bytes = Number(rest[0]);
    const chunk = Buffer.alloc(256 * 1024, 7);
    const server = net.createServer((s) => {
      s.on('error', () => {});
      if (bytes === 0) return;
      let left = bytes;
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    server.listen(0, '::', () => console.log(`ready ${(server.address() as net.AddressInfo).port}`));
    return;
  }
  if (role === 'peers') {
    const { AddressGuard } = await import('../../proxy/address-guard.ts');
    const { JsonlAuditLog } = await import('../../proxy/audit-log.ts');
    const { EgressPolicy } = await import('../../proxy/egress-policy.ts');
    const { EgressServer } = await import('../../proxy/egress-server.ts');
    const { SystemResolver } = await import('../../proxy/resolver.ts');
    const [targetPort, auditPath] = rest;
    const server = new EgressServer({
      policy: EgressPolicy.fromLists([`localhost:${targetPort}`]),
      resolver: new SystemResolver(),
      guard: new AddressGuard({ allowLoopbackForTests: true }),
      audit: new JsonlAuditLog(auditPath!),
      limits: { maxTunnels: 4096 },
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    console.log(`ready ${server.port}`);
  }
}

function startChild(argv: string[], cwd = ROOT): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolveStart, reject) => {
    const proc = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolveStart({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
}

async function startTinyproxy(dir: string, targetPort: number): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const conf = join(dir, 'tinyproxy.conf');
  // A configuration comparable to ours: loopback only, CONNECT to the target port only, a
  // default-deny host filter with the one allowed name, errors-only logging.
  writeFileSync(join(dir, 'filter'), '^localhost$\n');
  writeFileSync(conf, [
    'User nobody', 'Group nogroup', `Port ${port}`, 'Listen 127.0.0.1', 'Timeout 600', 'MaxClients 4096',
    'Allow 127.0.0.1', `ConnectPort ${targetPort}`, `Filter "${join(dir, 'filter')}"`, 'FilterDefaultDeny Yes', 'FilterType ere', 'FilterURLs Off',
    'LogLevel Error', `LogFile "${join(dir, 'tinyproxy.log')}"`, 'DisableViaHeader Yes', '',
  ].join('\n'));
  // tinyproxy drops to nobody and must reach and create its log here.
  spawnSync('chmod', ['0755', resolve(dir, '..')]);
  spawnSync('chmod', ['1777', dir]);
  const proc = spawn('tinyproxy', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) return { proc, port };
    await new Promise((r) => setTimeout(r, 50));
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

/** Opens a tunnel; resolves with the socket and the setup time once the proxy said 200. */
function tunnel(proxyPort: number, authority: string): Promise<{ sock: net.Socket; ms: number; rest: Buffer }> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const sock = net.connect(proxyPort, '127.0.0.1');
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.[01] 200/.test(head)) return rej(new Error(`proxy answered: ${head.split('\r\n')[0]}`));
      res({ sock, ms: performance.now() - t0, rest: buf.subarray(end + 4) });
    };
    sock.on('data', onData);
    sock.on('error', rej);
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

async function throughput(proxyPort: number, targetPort: number, bytes: number): Promise<number> {
  const t = await tunnel(proxyPort, `localhost:${targetPort}`);
  const t0 = performance.now();
  let got = t.rest.length;
  await new Promise<void>((r) => {
    t.sock.on('data', (d: Buffer) => (got += d.length));
    t.sock.on('close', () => r());
  });
  const s = (performance.now() - t0) / 1000;
  if (got !== bytes) throw new Error(`tunnel carried ${got} of ${bytes} bytes`);
  return bytes / s / 2 ** 20;
}

async function setupLatency(proxyPort: number, targetPort: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = await tunnel(proxyPort, `localhost:${targetPort}`);
    times.push(t.ms);
    t.sock.destroy();
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function currentRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const MIB = Number(flag('--mib') ?? 1024);
  const N = Number(flag('--tunnels') ?? 2000);
  const WRITE = !args.includes('--no-write');
  if (spawnSync('tinyproxy', ['-v']).status !== 0) {
    console.error('tinyproxy is not installed: apt-get install tinyproxy (listed in test/apt-packages.txt)');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'peers-bench-egress-'));
  const self = [process.execPath, import.meta.path, '--child'];
  const children: ChildProcess[] = [];
  try {
    const bulk = await startChild([...self, 'target', String(MIB * 2 ** 20)]);
    const idle = await startChild([...self, 'target', '0']);
    children.push(bulk.proc, idle.proc);
    const results: Record<string, { mibps: number; p50: number; p99: number; rss: number; startRss: number; version: string }> = {};
    for (const name of ['tinyproxy', 'peers'] as const) {
      // One proxy process per target port, so each is configured exactly as it would be.
      const bulkProxy = name === 'tinyproxy' ? await startTinyproxy(mkdtempSync(join(dir, 'tp-')), bulk.port) : await startChild([...self, 'peers', String(bulk.port), join(dir, 'bulk.jsonl')]);
      const idleProxy = name === 'tinyproxy' ? await startTinyproxy(mkdtempSync(join(dir, 'tp-')), idle.port) : await startChild([...self, 'peers', String(idle.port), join(dir, 'idle.jsonl')]);
      children.push(bulkProxy.proc, idleProxy.proc);
      const startRss = currentRssMiB(bulkProxy.proc.pid!);
      await setupLatency(idleProxy.port, idle.port, 100); // warm-up
      const mibps = await throughput(bulkProxy.port, bulk.port, MIB * 2 ** 20);
      const lat = await setupLatency(idleProxy.port, idle.port, N);
      const rss = Math.max(peakRssMiB(bulkProxy.proc.pid!), peakRssMiB(idleProxy.proc.pid!));
      results[name] = { mibps, p50: pct(lat, 50), p99: pct(lat, 99), rss, startRss, version: name === 'tinyproxy' ? spawnSync('tinyproxy', ['-v']).stdout.toString().trim() : `peers (Bun ${Bun.version})` };
      console.log(`${name}: ${mibps.toFixed(0)} MiB/s over ${MIB} MiB; setup p50 ${results[name].p50.toFixed(3)} ms p99 ${results[name].p99.toFixed(3)} ms over ${N}; peak RSS ${rss.toFixed(1)} MiB (${startRss.toFixed(1)} MiB at start)`);
      bulkProxy.proc.kill('SIGTERM');
      idleProxy.proc.kill('SIGTERM');
    }
    const t = results.tinyproxy!;
    const p = results.peers!;
    const ratio = `throughput ×${(p.mibps / t.mibps).toFixed(2)}, setup p50 ${(p.p50 - t.p50 >= 0 ? '+' : '')}${((p.p50 - t.p50) * 1000).toFixed(0)} µs (×${(p.p50 / t.p50).toFixed(2)}), p99 ×${(p.p99 / t.p99).toFixed(2)}, peak RSS ×${(p.rss / t.rss).toFixed(2)}`;
    console.log(`peers vs tinyproxy: ${ratio}`);
    if (WRITE) {
      const row = (n: string, r: typeof p) => `| ${r.version} | ${r.mibps.toFixed(0)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.startRss.toFixed(1)} | ${r.rss.toFixed(1)} |`;
      const section = [
        '## Egress proxy',
        '',
        `\`bun test/bench/egress.ts --mib ${MIB} --tunnels ${N}\`, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model.trim()}, loopback, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (a shared machine: p99 figures are mostly scheduling noise).`,
        `One CONNECT tunnel carrying ${MIB} MiB from the target to the client; tunnel setup (TCP connect + CONNECT + \`200\`, the proxy resolving \`localhost\` and connecting to the target) over ${N} sequential tunnels after 100 warm-up ones; peak RSS (VmHWM) of the proxy process.`,
        'Both proxies run in their own process with a default-deny host filter and the target port as the only CONNECT port; ours also writes its JSONL audit record for every tunnel.',
        'The machine is shared (2 cores, other jobs running), so compare the two rows of one run, not across runs.',
        '',
        '| proxy | MiB/s, one tunnel | setup p50 ms | setup p99 ms | RSS at start MiB | peak RSS MiB |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        row('tinyproxy', t),
        row('peers', p),
        '',
        `peers vs tinyproxy: ${ratio}. Goal: at least tinyproxy's throughput, under 1 ms added p50 setup latency.`,
        'Memory is where a C proxy wins: most of ours is the Bun runtime itself (the RSS-at-start column, before any traffic); the rest is buffers and garbage from the bulk transfer that the garbage collector had not returned yet.',
        '',
      ].join('\n');
      const file = writeBenchmarkSection('Egress proxy', section);
      console.log(`updated ${file}`);
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--child') await runChild(args[1]!, args.slice(2));
else await main();
