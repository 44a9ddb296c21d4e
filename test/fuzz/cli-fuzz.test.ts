/**
 * Every command's flags and arguments, every environment variable peers reads and every
 * file a user or a peer can write, fuzzed against the compiled binary. The bar: a clear message and
 * exit 0, 1 or 2 — never exit 70 (a bug), never a stack trace, never a hang — and never a pod,
 * server or run started by input that must have been refused.
 *
 * CI runs a fixed seed and a bounded number of cases. A longer run (documented in BENCHMARKS.md):
 *   PEERS_FUZZ_CASES=3000 PEERS_FUZZ_SEED=<n> node_modules/.bin/bun test test/fuzz --timeout 0
 * Replay one failing case: PEERS_FUZZ_SEED=<seed> PEERS_FUZZ_CASE=<index> node_modules/.bin/bun test test/fuzz
 * PEERS_FUZZ_BINARY=<path> runs the cases against another build (the manifest and the world still
 * come from dist/peers): how the fuzzer was checked against the code before exit 2 held everywhere.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { makeCase, type FuzzCase, type ManifestCommand } from './cli-cases.ts';
import { mutate } from './file-mutations.ts';
import { buildWorld, PEERS, type World } from './fuzz-world.ts';
import { seededRandom, seedFrom } from './seeded-random.ts';

const SEED = seedFrom('PEERS_FUZZ_SEED', 14_2026);
const CASES = Number(process.env.PEERS_FUZZ_CASES ?? 120);
const ONLY = process.env.PEERS_FUZZ_CASE === undefined ? undefined : Number(process.env.PEERS_FUZZ_CASE);
/** Far above any command that validates and exits; a case that takes longer hangs. */
const CASE_TIMEOUT_MS = 30_000;
const BINARY = process.env.PEERS_FUZZ_BINARY || PEERS;
/** A stack frame as JS runtimes print them. */
const STACK_LINE = /^\s+at\s.+[(:]\d+/m;
/** podman subcommands that would create, start or change anything. */
const POD_EFFECT = /^podman (?:(?:pod|container|network|volume|image|kube) )?(?:create|run|start|build|play|rm|rmi|kill|stop|load|import|commit|exec|restart|unpause)\b/m;
/** `peers doctor`'s probe of the image's CLIs: a throwaway container, no network, never pulling (apps/doctor/image-clis.ts). */
const IMAGE_PROBE = /^podman run --rm --pull=never --network=none --entrypoint \/bin\/sh \S+ -c /;

/** podman calls that create, start or change anything (the image probe reads only). */
function podEffects(podCalls: string): string[] {
  return podCalls.split('\n').filter((l) => POD_EFFECT.test(l) && !IMAGE_PROBE.test(l));
}

let world: World;
let commands: ManifestCommand[];

beforeAll(() => {
  world = buildWorld();
  const r = Bun.spawnSync([PEERS, 'commands', '--json', '--hidden'], { cwd: world.repoA, env: world.env });
  commands = (JSON.parse(r.stdout.toString()) as { commands: ManifestCommand[] }).commands;
}, 120_000);
afterAll(() => world?.cleanup());

type Outcome = { code: number | null; stdout: string; stderr: string; timedOut: boolean };

async function runCase(c: FuzzCase): Promise<Outcome> {
  const env: Record<string, string> = { ...world.env };
  for (const [k, v] of Object.entries(c.env)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = Bun.spawn([BINARY, ...c.argv], { cwd: c.cwd, env, stdin: c.stdin === undefined ? 'ignore' : new Blob([c.stdin]), stdout: 'pipe', stderr: 'pipe' });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, CASE_TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  return { code: child.signalCode ? null : code, stdout, stderr, timedOut };
}

/** What is wrong with an outcome, or undefined. */
function verdict(c: FuzzCase, o: Outcome, podCalls: string): string | undefined {
  if (o.timedOut) return `hung (killed after ${CASE_TIMEOUT_MS / 1000} s)`;
  if (o.code === null) return 'killed by a signal';
  if (o.code === 70) return 'exit 70 (internal error)';
  if (![0, 1, 2].includes(o.code)) return `exit ${o.code}`;
  if (STACK_LINE.test(o.stderr) || STACK_LINE.test(o.stdout)) return 'stack trace in the output';
  if (/internal error/i.test(o.stderr)) return '"internal error" in stderr';
  if (o.code !== 0 && !o.stderr.trim() && !o.stdout.trim()) return `exit ${o.code} without a message`;
  const effects = podEffects(podCalls);
  if (effects.length) return `started or changed pods: ${effects[0]}`;
  if (c.mustFail && o.code === 0) return 'input that must be refused was accepted (exit 0)';
  return undefined;
}

test(`fuzz: ${CASES} cases over every command, flag, environment variable and state file (seed ${SEED})`, async () => {
  const failures: string[] = [];
  const indexes = ONLY === undefined ? [...Array(CASES).keys()] : [ONLY];
  for (const i of indexes) {
    // Each case draws from its own stream, so one case replays alone from (seed, index).
    const rnd = seededRandom((SEED * 1_000_003 + i) >>> 0);
    const c = makeCase(commands, world, rnd);
    if (c.broken) mutate(c.broken.path, c.broken.mutation, rnd, { sibling: world.odd.file });
    writeFileSync(world.shimLog, '');
    const t0 = performance.now();
    const o = await runCase(c);
    if (process.env.PEERS_FUZZ_TIMES) console.log(`${(performance.now() - t0).toFixed(0)} ms ${c.argv.slice(0, 2).join(' ')}`);
    const podCalls = readFileSync(world.shimLog, 'utf8');
    world.restore();
    const bad = verdict(c, o, podCalls);
    if (bad) {
      const what = `case ${i}: peers ${c.argv.map((a) => JSON.stringify(a.length > 80 ? `${a.slice(0, 80)}…` : a)).join(' ')} (cwd ${c.cwd}${Object.keys(c.env).length ? `, env ${JSON.stringify(c.env)}` : ''}${c.broken ? `, ${c.broken.path} → ${c.broken.mutation}` : ''})`;
      failures.push(`${what}\n    ${bad}; exit ${o.code}; stderr: ${o.stderr.trim().split('\n').slice(0, 3).join(' | ').slice(0, 400)}`);
      // Also at once: a long run cut short still shows what it found.
      console.error(failures.at(-1));
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${indexes.length} fuzz cases failed (seed ${SEED}; replay one with PEERS_FUZZ_SEED=${SEED} PEERS_FUZZ_CASE=<index>):\n${failures.join('\n')}`);
  expect(failures).toEqual([]);
}, Math.max(900_000, CASES * 10_000));
