/**
 * Memory of the sandbox pod's long-running processes, each started by its real command from the
 * compiled binary (`peers sidecar egress|bridge|auth`, `peers runner` three times, `peers loop` idle in a
 * peer's turn), all at once as in a pod, on the host. Baseline measured in the same run: an idle TCP
 * server built with `bun build --compile` by this script (the floor of any Bun process that serves),
 * and the same with one package or one kind of HTTP server, to show what each costs.
 * The pod is started three times: as `peers up` starts it (the sidecars and runners without oclif,
 * commands/pod-roles.ts), with every command line parsed by oclif instead (how they all started
 * before), and with Bun's `--smol` (BUN_OPTIONS) to show what that buys. The auth sidecar is also
 * measured as `peers up` starts it for a config with a `provider:` (in the pod of that config), and
 * after serving SERVED_REQUESTS requests (served-auth.ts).
 * With --original DIR (a checkout of github.com/c0decave/peers), also the Python original's processes.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/memory.ts [--binary PATH] [--compare PATH [--compare-without-auth-env | --compare-auth-env K=V,…] [--compare-label TEXT]] [--original DIR [--python PATH]] [--no-write]
 *
 * --compare-without-auth-env starts the compared build's auth sidecar without sandbox/pod-env.ts's
 * AUTH_SIDECAR_ENV, as a pod of a build from before it started it; --compare-auth-env with the
 * environment that build's pod spec gave it. With --compare, the section says what the compared
 * build's auth sidecar held in the same run (--compare-label names that build).
 *
 * RSS counts every page a process maps, including the binary's code, which all the pod's processes share
 * (one file); PSS splits shared pages between their users, so the pod's PSS sum is what it costs the
 * machine. Each figure is read once the process has been ready for a second (its idle state).
 * Rewrites the `## Memory` section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { ORIGINAL_ROLES, startOriginalRole } from './original-pod.ts';
import { anonMiB, dropPageCache, POD_ROLES, POD_ROLES_WITH_PROVIDER, pssMiB, rssMiB, startRole, stopper, waitUntil, type Started } from './pod-processes.ts';
import { startServedAuth } from './served-auth.ts';
import { benchArgs } from './bench-args.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = benchArgs();
const flag = args.flag;
const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));
const ORIGINAL = flag('--original') ? resolve(flag('--original')!) : undefined;
const PYTHON = flag('--python') ?? 'python3';
const WRITE = args.write;
/** Another build (e.g. before a change): its pod is measured in the same run and printed beside, not written. */
const COMPARE = flag('--compare') ? resolve(flag('--compare')!) : undefined;
const COMPARE_AUTH_ENV = args.has('--compare-without-auth-env') ? {} : flag('--compare-auth-env') ? Object.fromEntries(flag('--compare-auth-env')!.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : undefined;
const COMPARE_LABEL = flag('--compare-label') ?? COMPARE;
const SIDECAR_GOAL_MIB = 40;
const IDLE_MS = 1000;
/** Requests through the auth sidecar before it is measured in its "after requests" row: a few dozen, a few peer turns' worth. */
const SERVED_REQUESTS = 40;
/** Then the same sidecar is sent more, and measured again: what it holds must not creep with use. */
const SERVED_LONG = 400;

statSync(BINARY);
const work = mkdtempSync(join(tmpdir(), 'peers-bench-memory-'));

type Figure = { name: string; rss: number; pss: number; anon: number };

/**
 * Starts the processes, lets them idle, reads each one's memory, stops them all. The binary's pages
 * are dropped from the page cache first: how many of them a process maps depends on how they came
 * into the cache (the auth sidecar maps ~6 MiB more of a binary just written, by a build or a
 * download, than of the same one read from disk; measured, the kernel's reasons not pinned down), so
 * every figure here is for a binary read from disk, as after a reboot, and two runs agree.
 */
async function measure(binary: string | undefined, start: (() => Promise<Started>)[]): Promise<Figure[]> {
  if (binary) dropPageCache(binary);
  const started: Started[] = [];
  try {
    for (const s of start) started.push(await s());
    await Bun.sleep(IDLE_MS); // the measurement window: idle, after main.ts has restored the normal JIT
    return started.map((s) => ({ name: s.role, rss: rssMiB(s.pid), pss: pssMiB(s.pid), anon: anonMiB(s.pid) }));
  } finally {
    for (const s of started) await s.stop();
  }
}

const LISTEN_TCP = `import { createServer } from 'node:net';\ncreateServer().listen(0, '127.0.0.1', () => process.stderr.write('ready\\n'));\n`;
const LISTEN_HTTP = `import http from 'node:http';\nhttp.createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => process.stderr.write('ready\\n'));\n`;
const LISTEN_BUN_SERVE = `Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });\nprocess.stderr.write('ready\\n');\n`;

/**
 * An idle server built with `bun build --compile` from `source`, optionally importing one package
 * first (by its resolved path, so the bundler finds it from the scratch directory): the floor, and
 * what a package or a kind of server adds to it.
 */
async function idleServer(name: string, source: string, pkg?: string): Promise<Figure> {
  const dir = join(work, `server-${name}`.replace(/\W+/g, '-'));
  mkdirSync(dir);
  const load = pkg ? `import * as pkg from ${JSON.stringify(Bun.resolveSync(pkg, ROOT))};\n(globalThis as Record<string, unknown>).pkg = pkg;\n` : '';
  writeFileSync(join(dir, 'server.ts'), `${load}${source}`);
  const built = Bun.spawnSync([process.execPath, 'build', 'server.ts', '--compile', '--bytecode', '--format=esm', '--outfile', 'server'], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  if (built.exitCode !== 0) throw new Error(`bun build --compile: ${built.stderr.toString()}`);
  const [figure] = await measure(join(dir, 'server'), [
    async () => {
      const proc = spawn(join(dir, 'server'), [], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OCLIF_DISABLE_ENGINE_WARNING: '1' } });
      await waitUntil(proc, name, (err) => err.includes('ready'));
      return { role: name, pid: proc.pid!, stop: stopper(proc) };
    },
  ]);
  return figure!;
}

/**
 * The auth sidecar after SERVED_REQUESTS requests, then the same process after SERVED_LONG in all,
 * each read after the same idle second as every other figure.
 */
async function measureServed(binary: string, dir: string, authEnv?: Record<string, string>): Promise<Figure[]> {
  dropPageCache(binary);
  const served = await startServedAuth(binary, dir, SERVED_REQUESTS, authEnv);
  const read = (name: string): Figure => ({ name, rss: rssMiB(served.pid), pss: pssMiB(served.pid), anon: anonMiB(served.pid) });
  try {
    await Bun.sleep(IDLE_MS);
    const first = read(served.role);
    await served.serve(SERVED_LONG - SERVED_REQUESTS);
    await Bun.sleep(IDLE_MS);
    return [first, read(`auth after ${SERVED_LONG} requests`)];
  } finally {
    await served.stop();
  }
}

const mib = (v: number) => v.toFixed(1);
const sum = (fs: Figure[], k: 'rss' | 'pss') => fs.reduce((a, f) => a + f[k], 0);

try {
  const floor = await idleServer('idle TCP server (`bun build --compile`)', LISTEN_TCP);
  // What the command framework and the schema library add to any process that loads them, and what
  // an HTTP server costs (the auth sidecar parses HTTP itself on node:net, auth-proxy/client-http.ts).
  const others = [
    await idleServer('the same + `@oclif/core`', LISTEN_TCP, '@oclif/core'),
    await idleServer('the same + `zod`', LISTEN_TCP, 'zod'),
    // What the runner loads of zod: its protocol's schemas in zod's functional build (tree-shaken).
    await idleServer('the same + the runner protocol (`sandbox/runner-protocol.ts`, `zod/mini`)', LISTEN_TCP, './sandbox/runner-protocol.ts'),
    await idleServer('an idle `node:http` server instead', LISTEN_HTTP),
    await idleServer('an idle `Bun.serve` server instead', LISTEN_BUN_SERVE),
  ];
  const pod = await measure(BINARY, POD_ROLES.map((role) => () => startRole(BINARY, role, join(work, 'pod'))));
  const oclif = await measure(BINARY, POD_ROLES.map((role) => () => startRole(BINARY, role, join(work, 'pod-oclif'), { viaOclif: true })));
  const smol = await measure(BINARY, POD_ROLES.map((role) => () => startRole(BINARY, role, join(work, 'pod-smol'), { env: { BUN_OPTIONS: '--smol' } })));
  // The auth sidecar of a config with a provider, in its pod; then one that has served requests.
  const authVariants = async (binary: string, tag: string, authEnv?: Record<string, string>): Promise<Figure[]> => [
    (await measure(binary, POD_ROLES_WITH_PROVIDER.map((role) => () => startRole(binary, role, join(work, `pod-provider${tag}`), { authEnv }))))[POD_ROLES_WITH_PROVIDER.indexOf('auth with a provider')]!,
    ...(await measureServed(binary, join(work, `served${tag}`), authEnv)),
  ];
  const variants = await authVariants(BINARY, '');
  const compared = COMPARE ? await measure(COMPARE, POD_ROLES.map((role) => () => startRole(COMPARE, role, join(work, 'pod-compared'), { authEnv: COMPARE_AUTH_ENV }))) : undefined;
  const comparedVariants = COMPARE ? await authVariants(COMPARE, '-compared', COMPARE_AUTH_ENV) : undefined;
  // Its interpreter and tinyproxy are installed files, read from disk like the binary above.
  const original = ORIGINAL ? await measure(undefined, ORIGINAL_ROLES.map((role) => () => startOriginalRole(ORIGINAL, role, join(work, 'original', role.replace(/\W+/g, '-')), PYTHON))) : undefined;

  const rows = pod.map((f, i) => {
    const sidecar = f.name !== 'loop';
    const goal = sidecar ? `≤ ${SIDECAR_GOAL_MIB} MiB: ${f.rss <= SIDECAR_GOAL_MIB ? 'met' : 'not met'}` : '';
    return `| \`${f.name}\` | ${mib(f.rss)} | ${(f.rss / floor.rss).toFixed(2)}× | ${mib(f.pss)} | ${sidecar ? mib(oclif[i]!.rss) : ''} | ${mib(smol[i]!.rss)} | ${goal} |`;
  });
  const goalOf = (f: Figure) => `≤ ${SIDECAR_GOAL_MIB} MiB: ${f.rss <= SIDECAR_GOAL_MIB ? 'met' : 'not met'}`;
  const [withProvider, served, servedLong] = variants as [Figure, Figure, Figure];
  rows.splice(
    POD_ROLES.indexOf('auth') + 1,
    0,
    `| \`auth\` with a provider (\`--provider\`) | ${mib(withProvider.rss)} | ${(withProvider.rss / floor.rss).toFixed(2)}× | ${mib(withProvider.pss)} | | | ${goalOf(withProvider)} |`,
    `| \`auth\` after ${SERVED_REQUESTS} requests | ${mib(served.rss)} | ${(served.rss / floor.rss).toFixed(2)}× | | | | ${goalOf(served)} |`,
    `| \`auth\` after ${SERVED_LONG} requests (the same process) | ${mib(servedLong.rss)} | ${(servedLong.rss / floor.rss).toFixed(2)}× | | | | ${goalOf(servedLong)} |`,
  );
  const [http, bunServe] = others.slice(-2) as [Figure, Figure];
  const idleAuth = pod[POD_ROLES.indexOf('auth')]!;
  const authRss = idleAuth.rss;
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    '## Memory',
    '',
    `Measured by \`bun test/bench/memory.ts${ORIGINAL ? ' --original <checkout>' : ''}\` on ${new Date().toISOString().slice(0, 10)}: each long-running process of the`,
    `pod started by its real command from the compiled \`dist/peers\`, all ${POD_ROLES.length} at once on the host, read after`,
    `${IDLE_MS / 1000} s idle (the loop in a peer's turn), on ${cpus().length} × ${cpu}, Bun ${Bun.version}; each command line is the one`,
    "sandbox/pod-spec.ts writes (the egress proxy's two listeners, the setup and gates runners' own bridges, the auth sidecar's log file",
    "and budget policy, and its environment: JavaScriptCore without a JIT, its allocator sweeping at every idle point). Every binary is dropped from the page cache before its processes start: a process maps more of a binary",
    'just written (by a build or a download) than of the same one read from disk, ~6 MiB more for the auth sidecar; these figures',
    'are for the latter, as after a reboot, so that two runs agree.',
    'The floor, measured in the same run, is an idle TCP server built with `bun build --compile`: what any Bun process that serves',
    `costs. RSS counts the binary's code pages in every process; PSS splits pages shared between processes (the ${POD_ROLES.length} map one`,
    "file), so the pod's PSS sum is what it costs the machine. The rows under the floor are the same server importing one",
    'package (or module), or serving HTTP instead: what the command framework, the schema library (all of it, and what the',
    'runner uses of its functional build) and an HTTP server add to any Bun process. The sidecars and runners start without',
    'oclif (commands/pod-roles.ts); the "through oclif" column starts the same command lines through oclif\'s parser, as they all started before, and the last',
    "column the pod with Bun's `--smol` (a smaller JavaScript heap) through BUN_OPTIONS.",
    '',
    '| process | RSS (MiB) | RSS / floor | PSS (MiB) | RSS through oclif (MiB) | RSS with `--smol` (MiB) | goal |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${floor.name} (floor) | ${mib(floor.rss)} | 1× | ${mib(floor.pss)} | | | |`,
    ...others.map((f) => `| ${f.name} | ${mib(f.rss)} | ${(f.rss / floor.rss).toFixed(2)}× | ${mib(f.pss)} | | | |`),
    ...rows,
    `| **whole pod** (${POD_ROLES.length} processes) | **${mib(sum(pod, 'rss'))}** | | **${mib(sum(pod, 'pss'))}** | ${mib(sum(oclif, 'rss'))} | ${mib(sum(smol, 'rss'))} | |`,
    '',
    `Without oclif the pod's processes hold ${mib(sum(oclif, 'rss') - sum(pod, 'rss'))} MiB less RSS together. The auth sidecar serves its ports with`,
    `its own HTTP/1.1 server on \`node:net\` (auth-proxy/client-http.ts), as the floor listens: an idle \`node:http\` server holds ${mib(http.rss)} MiB (+${mib(http.rss - floor.rss)} over the floor), an idle \`Bun.serve\` one`,
    `${mib(bunServe.rss)} MiB (${bunServe.rss >= floor.rss ? '+' : ''}${mib(bunServe.rss - floor.rss)}; Bun.serve cannot tell an absolute-form request from an origin-form one, which the sidecar refuses); the auth sidecar is ${mib(authRss - floor.rss)} MiB over the floor.`,
    '',
    "The three rows under `auth` are the same sidecar as `peers up` starts it for a config with a `provider:` (one more upstream, its",
    '`--provider` argument as sandbox/pod-spec.ts writes it, here for `provider: openrouter`; measured in that pod, so with its PSS),',
    `and after ${SERVED_REQUESTS} streamed Messages requests of 100 KB (about a Claude Code turn each) through it, one kept-alive connection,`,
    "to a local HTTPS stand-in vendor reached through a `peers sidecar egress` of the same binary, as in the pod (test/bench/served-auth.ts;",
    `every request parsed, reserved against the budget, metered and written to the ledger), then 1 s idle; then the same process after ${SERVED_LONG - SERVED_REQUESTS} more (${SERVED_LONG} in all), 1 s idle.`,
    `Serving adds ${mib(served.rss - idleAuth.rss)} MiB to the idle sidecar: ${mib(served.anon - idleAuth.anon)} MiB anonymous memory (the JavaScript heap, the TLS`,
    `and HTTP client state) and ${mib(served.rss - served.anon - (idleAuth.rss - idleAuth.anon))} MiB more of the binary's pages (code run for the first time: TLS, the HTTP`,
    'client, the request parsing).',
    '',
  ];
  if (compared && comparedVariants) {
    const authAt = POD_ROLES.indexOf('auth');
    const envText = COMPARE_AUTH_ENV ? (Object.keys(COMPARE_AUTH_ENV).length ? Object.entries(COMPARE_AUTH_ENV).map(([k, v]) => `\`${k}=${v}\``).join(' ') : 'no environment of its own') : 'this environment';
    lines.push(
      `The auth sidecar of ${COMPARE_LABEL} (its environment: ${envText}) in the same run: idle ${mib(compared[authAt]!.rss)} MiB, after ${SERVED_REQUESTS} requests`,
      `${mib(comparedVariants[1]!.rss)} MiB (${mib(comparedVariants[1]!.anon)} anonymous), after ${SERVED_LONG} ${mib(comparedVariants[2]!.rss)} MiB (${mib(comparedVariants[2]!.anon)} anonymous); this build's: ${mib(idleAuth.rss)}, ${mib(served.rss)} MiB (${mib(served.anon)} anonymous) and ${mib(servedLong.rss)} MiB (${mib(servedLong.anon)} anonymous).`,
      '',
    );
  }
  if (original) {
    lines.push(
      `The Python original's processes in the same run (its auth proxy and loop on \`${PYTHON}\`, tinyproxy as its`,
      'egress proxy; the loop is the one its `peers init` configures, with `sleep` peers):',
      '',
      '| process | RSS (MiB) | PSS (MiB) |',
      '| --- | ---: | ---: |',
      ...original.map((f) => `| ${f.name} | ${mib(f.rss)} | ${mib(f.pss)} |`),
      `| **whole original** (${original.length} processes) | **${mib(sum(original, 'rss'))}** | **${mib(sum(original, 'pss'))}** |`,
      '',
      `The whole pod against the whole original: RSS ${mib(sum(pod, 'rss'))} against ${mib(sum(original, 'rss'))} MiB (×${(sum(pod, 'rss') / sum(original, 'rss')).toFixed(1)}), PSS ${mib(sum(pod, 'pss'))} against ${mib(sum(original, 'pss'))} MiB (×${(sum(pod, 'pss') / sum(original, 'pss')).toFixed(1)}).`,
      `The original runs three processes where peers runs ${POD_ROLES.length} (its peers and gates run from its loop, with no runners or bridge), and every`,
      'Bun process costs the floor above before it does anything.',
      '',
    );
  }
  if (compared) {
    console.log(`RSS (MiB) of ${COMPARE} against ${BINARY}, same run:`);
    for (const [i, f] of pod.entries()) console.log(`  ${f.name.padEnd(18)} ${mib(compared[i]!.rss)} -> ${mib(f.rss)}  (PSS ${mib(compared[i]!.pss)} -> ${mib(f.pss)})`);
    for (const [i, f] of variants.entries()) console.log(`  ${f.name.padEnd(18)} ${mib(comparedVariants![i]!.rss)} -> ${mib(f.rss)}  (anonymous ${mib(comparedVariants![i]!.anon)} -> ${mib(f.anon)})`);
  }
  const section = lines.join('\n');
  console.log(section);
  if (WRITE) console.log(`updated ${writeBenchmarkSection('Memory', section)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
