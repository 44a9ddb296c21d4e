/**
 * Memory of the sandbox pod's long-running processes, each started by its real command from the
 * compiled binary (`peers sidecar egress|bridge|auth`, `peers runner` twice, `peers loop` idle in a
 * peer's turn), all at once as in a pod, on the host. Baseline measured in the same run: an idle TCP
 * server built with `bun build --compile` by this script (the floor of any Bun process that serves).
 * The pod is started twice, the second time with Bun's `--smol` (BUN_OPTIONS) to show what it buys.
 * With --original DIR (a checkout of github.com/c0decave/peers), also the Python original's processes.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/memory.ts [--binary PATH] [--original DIR [--python PATH]] [--no-write]
 *
 * RSS counts every page a process maps, including the binary's code, which all six processes share
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
import { POD_ROLES, pssMiB, rssMiB, startRole, stopper, waitUntil, type Started } from './pod-processes.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));
const ORIGINAL = flag('--original') ? resolve(flag('--original')!) : undefined;
const PYTHON = flag('--python') ?? 'python3';
const WRITE = !args.includes('--no-write');
const SIDECAR_GOAL_MIB = 40;
const IDLE_MS = 1000;

statSync(BINARY);
const work = mkdtempSync(join(tmpdir(), 'peers-bench-memory-'));

type Figure = { name: string; rss: number; pss: number };

/** Starts the processes, lets them idle, reads each one's memory, stops them all. */
async function measure(start: (() => Promise<Started>)[]): Promise<Figure[]> {
  const started: Started[] = [];
  try {
    for (const s of start) started.push(await s());
    await Bun.sleep(IDLE_MS); // the measurement window: idle, after main.ts has restored the normal JIT
    return started.map((s) => ({ name: s.role, rss: rssMiB(s.pid), pss: pssMiB(s.pid) }));
  } finally {
    for (const s of started) await s.stop();
  }
}

/**
 * An idle TCP server built with `bun build --compile`, optionally importing one package first (by its
 * resolved path, so the bundler finds it from the scratch directory): the floor, and what a package
 * adds to it.
 */
async function idleServer(name: string, pkg?: string): Promise<Figure> {
  const dir = join(work, `server-${pkg ?? 'floor'}`.replace(/\W+/g, '-'));
  mkdirSync(dir);
  const load = pkg ? `import * as pkg from ${JSON.stringify(Bun.resolveSync(pkg, ROOT))};\n(globalThis as Record<string, unknown>).pkg = pkg;\n` : '';
  writeFileSync(join(dir, 'server.ts'), `${load}import { createServer } from 'node:net';\ncreateServer().listen(0, '127.0.0.1', () => process.stderr.write('ready\\n'));\n`);
  const built = Bun.spawnSync([process.execPath, 'build', 'server.ts', '--compile', '--bytecode', '--format=esm', '--outfile', 'server'], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  if (built.exitCode !== 0) throw new Error(`bun build --compile: ${built.stderr.toString()}`);
  const [figure] = await measure([
    async () => {
      const proc = spawn(join(dir, 'server'), [], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OCLIF_DISABLE_ENGINE_WARNING: '1' } });
      await waitUntil(proc, name, (err) => err.includes('ready'));
      return { role: name, pid: proc.pid!, stop: stopper(proc) };
    },
  ]);
  return figure!;
}

const mib = (v: number) => v.toFixed(1);
const sum = (fs: Figure[], k: 'rss' | 'pss') => fs.reduce((a, f) => a + f[k], 0);

try {
  const floor = await idleServer('idle TCP server (`bun build --compile`)');
  // What the command framework and the schema library add to any process that loads them.
  const withLibraries = [await idleServer('the same + `@oclif/core`', '@oclif/core'), await idleServer('the same + `zod`', 'zod')];
  const pod = await measure(POD_ROLES.map((role) => () => startRole(BINARY, role, join(work, 'pod'))));
  const smol = await measure(POD_ROLES.map((role) => () => startRole(BINARY, role, join(work, 'pod-smol'), { BUN_OPTIONS: '--smol' })));
  const original = ORIGINAL ? await measure(ORIGINAL_ROLES.map((role) => () => startOriginalRole(ORIGINAL, role, join(work, 'original', role.replace(/\W+/g, '-')), PYTHON))) : undefined;

  const rows = pod.map((f, i) => {
    const sidecar = f.name !== 'loop';
    const goal = sidecar ? `≤ ${SIDECAR_GOAL_MIB} MiB: ${f.rss <= SIDECAR_GOAL_MIB ? 'met' : 'not met'}` : '';
    return `| \`${f.name}\` | ${mib(f.rss)} | ${(f.rss / floor.rss).toFixed(2)}× | ${mib(f.pss)} | ${mib(smol[i]!.rss)} | ${goal} |`;
  });
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    '## Memory',
    '',
    `Measured by \`bun test/bench/memory.ts${ORIGINAL ? ' --original <checkout>' : ''}\` on ${new Date().toISOString().slice(0, 10)}: each long-running process of the`,
    `pod started by its real command from the compiled \`dist/peers\`, all six at once on the host, read after`,
    `${IDLE_MS / 1000} s idle (the loop in a peer's turn), on ${cpus().length} × ${cpu}, Bun ${Bun.version}. The floor, measured in the same run, is an idle`,
    'TCP server built with `bun build --compile`: what any Bun process that serves costs. RSS counts the',
    "binary's code pages in every process; PSS splits pages shared between processes (the six map one file),",
    "so the pod's PSS sum is what it costs the machine. The two rows under the floor are the same server",
    'importing one package: what the command framework (every command loads it to parse its flags) and the',
    "schema library add to any Bun process. The last column starts the same pod with Bun's `--smol` (a",
    'smaller JavaScript heap) through BUN_OPTIONS.',
    '',
    '| process | RSS (MiB) | RSS / floor | PSS (MiB) | RSS with `--smol` (MiB) | goal |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    `| ${floor.name} (floor) | ${mib(floor.rss)} | 1× | ${mib(floor.pss)} | | |`,
    ...withLibraries.map((f) => `| ${f.name} | ${mib(f.rss)} | ${(f.rss / floor.rss).toFixed(2)}× | ${mib(f.pss)} | | |`),
    ...rows,
    `| **whole pod** (6 processes) | **${mib(sum(pod, 'rss'))}** | | **${mib(sum(pod, 'pss'))}** | ${mib(sum(smol, 'rss'))} | |`,
    '',
  ];
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
    );
  }
  const section = lines.join('\n');
  console.log(section);
  if (WRITE) console.log(`updated ${writeBenchmarkSection('Memory', section)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
