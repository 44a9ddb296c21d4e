/**
 * How fast `peers loop` stops on SIGTERM, whatever it is doing: `bun test/bench/sigterm.ts [--no-write]`.
 *
 * Runs the compiled binary's `peers loop` on a scratch project with fake peers and, once the loop is
 * in a given phase (a peer's turn, a peer flooding multi-MB lines of ERROR words, a hard gate
 * running, waiting with every peer paused), sends SIGTERM and times the exit. The baseline,
 * measured in the same run the same way, is a bare `sleep` started by `sh` (the floor of spawning,
 * signalling and reaping a process on this machine). `kill_grace_s` is the product default (5 s):
 * the peers here stop on SIGTERM, so nothing waits for the grace period. A peer that ignores SIGTERM
 * keeps the loop until kill_grace_s, by design (SECURITY.md).
 * Replaces the `## Stopping on SIGTERM` section of BENCHMARKS.md unless --no-write.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeProject, type Project, type ProjectSpec } from '../integration/loop/harness.ts';
import { statePaths, ensureStateDirs } from '../../src/state/paths.ts';
import { withPaused, writeControl } from '../../src/state/operator-control.ts';
import { liveTurnPath } from '../../src/state/live-turn.ts';
import { benchArgs } from './bench-args.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';

const ROOT = resolve(import.meta.dir, '../..');
const BIN = join(ROOT, 'dist/peers');
const RUNS = 5;
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`bun build.ts\` first`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function until(what: string, pred: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** Spawns, waits for `ready`, sends SIGTERM, returns ms to exit. */
async function timeStop(argv: string[], env: Record<string, string>, ready: (stderr: () => string) => boolean): Promise<number> {
  const child = Bun.spawn(argv, { stdout: 'ignore', stderr: 'pipe', env: { ...process.env, ...env } });
  let err = '';
  void (async () => {
    for await (const chunk of child.stderr) err += new TextDecoder().decode(chunk);
  })();
  try {
    await until(`${argv.join(' ')} to be ready`, () => ready(() => err));
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${err.slice(-2000)}`);
  }
  const t0 = performance.now();
  child.kill('SIGTERM');
  await child.exited;
  return performance.now() - t0;
}

type Phase = { name: string; spec: ProjectSpec | ((mark: string) => ProjectSpec); prepare?: (p: Project) => void; ready: (p: Project, stderr: () => string) => boolean; env?: (p: Project) => Record<string, string> };
const HEALTH = { kill_grace_s: 5, idle_timeout_s: 120, absolute_max_runtime_s: 600 };
const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };

const PHASES: Phase[] = [
  {
    name: 'during a peer turn (a peer working in steps)',
    spec: { peers: { alice: 'slow-steps', bob: 'slow-steps' }, goals: [NEVER_GREEN], health: HEALTH },
    env: () => ({ STEPS: '200', STEP_DELAY: '0.2' }),
    ready: (p) => existsSync(liveTurnPath(p.stateDir)),
  },
  {
    name: 'during a flood of 240 KB lines of ERROR words',
    spec: { peers: { alice: 'error-words-forever', bob: 'always-handoff' }, goals: [NEVER_GREEN], health: HEALTH },
    env: (p) => ({ PEERS_FLOOD_MARKER: join(p.root, 'flood-started') }),
    ready: (p) => existsSync(join(p.root, 'flood-started')),
  },
  {
    name: 'during a hard gate (a 60 s test suite)',
    // Gates get an environment of their own: the marker path is in the command itself.
    spec: (mark) => ({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [{ id: 'slow-suite', type: 'hard', cmd: `touch '${mark}'; sleep 60`, pass_when: 'exit_code == 0', timeout_s: 120 }], health: HEALTH }),
    ready: () => existsSync(gateMark),
  },
  {
    name: 'waiting, every peer paused by the operator',
    spec: { peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN], health: HEALTH },
    prepare: (p) => {
      const paths = statePaths(p.stateDir);
      ensureStateDirs(paths);
      writeControl(paths.control, withPaused(withPaused(null, 'alice', true), 'bob', true));
    },
    ready: (_p, stderr) => stderr().includes('every peer is paused'),
  },
];

const scratch = mkdtempSync(join(tmpdir(), 'peers-bench-sigterm-'));
let gateMark = '';
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) baseline.push(await timeStop(['sh', '-c', 'exec sleep 60'], {}, () => true));

const rows: string[] = [];
const base = median(baseline);
rows.push(`| bare \`sleep\` under \`sh\` (baseline) | ${base.toFixed(1)} | ${Math.max(...baseline).toFixed(1)} | 1.0× |`);
for (const phase of PHASES) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    gateMark = join(scratch, `gate-started-${rows.length}-${i}`);
    const p = makeProject(typeof phase.spec === 'function' ? phase.spec(gateMark) : phase.spec);
    try {
      phase.prepare?.(p);
      const argv = [BIN, 'loop', p.repo, '--state-dir', p.stateDir, '--max-ticks', '50'];
      times.push(await timeStop(argv, { TMPDIR: p.root, ...(phase.env?.(p) ?? {}) }, (stderr) => phase.ready(p, stderr)));
      const stop = readFileSync(join(p.stateDir, 'last-stop-reason.txt'), 'utf8');
      if (!stop.includes('interrupted')) throw new Error(`${phase.name}: stopped as ${stop.trim()}, not interrupted`);
    } finally {
      p.cleanup();
    }
  }
  const med = median(times);
  rows.push(`| ${phase.name} | ${med.toFixed(1)} | ${Math.max(...times).toFixed(1)} | ${(med / base).toFixed(1)}× |`);
}

rmSync(scratch, { recursive: true, force: true });
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
const section = [
  '## Stopping on SIGTERM',
  '',
  `\`bun test/bench/sigterm.ts --write\` on ${cpus().length} × ${cpu}: the compiled \`peers loop\` receives SIGTERM in each phase`,
  `(${RUNS} runs each, kill_grace_s 5, the product default) and the time to its exit is measured; the baseline is a bare`,
  '`sleep` under `sh`, signalled and reaped the same way in the same run. Every run ends `interrupted`.',
  '',
  '| phase | median ms | max ms | × baseline |',
  '| --- | ---: | ---: | ---: |',
  ...rows,
  '',
];
console.log(section.join('\n'));
if (benchArgs().write) console.log(`wrote ${writeBenchmarkSection('Stopping on SIGTERM', section.join('\n'))}`);
