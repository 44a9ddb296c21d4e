/**
 * An end-to-end run of a mode: a small real project is committed, `peers init --modes …` (the real
 * init, in-process) writes its control files, the two peers in config.yaml are replaced by the
 * scripted peer test/fixtures/peers/modes/peer.sh (everything else init wrote is kept: goals,
 * convergence settings, setup), and the real loop (the compiled `peers loop`) runs with its real
 * gates on clean checkouts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { initProject, type InitResult } from '../../../src/mode-registry/init-project.ts';
import { readRunLog, tickLines, type TickLine } from '../../../src/state/run-log.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { statePaths } from '../../../src/state/paths.ts';
import type { LoopState } from '../../../src/state/state-schema.ts';
import { git, type Files } from './repo-fixture.ts';

const FIXTURES = resolve(import.meta.dir, '../../fixtures/peers');
const PEERS_BIN = resolve(import.meta.dir, '../../../dist/peers');

export type ModeRunSpec = {
  modes: string[];
  lang?: string;
  /** The project at the run's start (committed by the operator before init). */
  start: Files;
  /** PLAN.md text, given to init as --plan from outside the repository. */
  plan?: string;
  /** The scenario peer.sh plays. */
  scenario: string;
  /** File sets the scenario copies in, by name (reproduce, fix, break, docs, step1, …), and single files. */
  fake?: Record<string, Files>;
  fakeText?: Record<string, string>;
  /** A peer that is not the scripted one (e.g. 'crash' from test/fixtures/peers). */
  peerFixture?: Partial<Record<'alice' | 'bob', string>>;
  maxTicks: number;
};

export type ModeRun = { repo: string; root: string; init: InitResult; outcome: { reason: string; exitCode: number }; ticks: TickLine[]; state: LoopState; cleanup(): void };

export async function modeRun(spec: ModeRunSpec): Promise<ModeRun> {
  const root = mkdtempSync(join(tmpdir(), `peers-mode-${spec.scenario}-`));
  const repo = join(root, 'repo');
  const fakeFiles = join(root, 'fake');
  const fakeState = join(root, 'turns');
  const stateDir = join(root, 'state');
  mkdirSync(repo);
  mkdirSync(fakeState);
  git(repo, ['init', '-q', '-b', 'main']);
  const write = (base: string, files: Files) => {
    for (const [rel, text] of Object.entries(files)) {
      if (text === null) continue;
      mkdirSync(dirname(join(base, rel)), { recursive: true });
      writeFileSync(join(base, rel), text);
    }
  };
  write(repo, spec.start);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'the project before the run']);
  for (const [name, files] of Object.entries(spec.fake ?? {})) write(join(fakeFiles, name), files);
  write(fakeFiles, spec.fakeText ?? {});
  let planPath: string | undefined;
  if (spec.plan) {
    planPath = join(root, 'PLAN.md');
    writeFileSync(planPath, spec.plan);
  }
  const env = { HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home/.config') };
  const init = initProject({ target: repo, modes: spec.modes, lang: spec.lang, plan: planPath, env });

  const configPath = join(repo, '.peers/config.yaml');
  const config = parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const peer = (name: 'alice' | 'bob') => {
    const fixture = spec.peerFixture?.[name];
    return {
      name,
      tool: 'custom',
      argv: fixture ? ['sh', join(FIXTURES, `${fixture}.sh`)] : ['sh', join(FIXTURES, 'modes/peer.sh'), spec.scenario],
      prompt_mode: 'stdin',
      env: { PEERS_FAKE_FILES: fakeFiles, PEERS_FAKE_STATE: fakeState },
    };
  };
  config.peers = [peer('alice'), peer('bob')];
  config.health = { idle_timeout_s: 60, absolute_max_runtime_s: 120, kill_grace_s: 1 };
  config.budget = { ...(config.budget as object), max_consecutive_failures: 50 };
  config.goals = { ...(config.goals as object), timeout_s: 600, stuck_halt_after: 50 };
  writeFileSync(configPath, stringify(config));

  // The compiled binary (test/setup.sh builds it), as users run it: its gates' `peers check` calls
  // start in a fifth of the time the TypeScript sources take, and the runs make hundreds of them.
  if (!existsSync(PEERS_BIN)) throw new Error(`${PEERS_BIN} is missing: run \`bun build.ts\` (test/setup.sh does)`);
  const loop = Bun.spawn([PEERS_BIN, 'loop', repo, '--state-dir', stateDir, '--max-ticks', String(spec.maxTicks), '--backoff-base-ms', '10', '--no-recon', '--no-codemap'], {
    // One cargo target directory per run, as a dependency cache would be: each tick's clean checkout
    // builds only what changed instead of the whole crate again.
    // Go likewise: one build cache per run (gates get a fresh HOME, so go's default cache under it
    // starts cold at every gate and rebuilds the standard library, ~4 s of CPU per go command).
    // GOFLAGS=-count=1 keeps `go test` from replaying a cached result: every gate runs the tests.
    // Gates run with a fresh HOME (src/gates/gate-env.ts): a rustup-managed cargo must be told
    // where its toolchains are, as a user's profile would.
    env: { ...process.env, CARGO_TARGET_DIR: join(root, 'cargo-target'), GOCACHE: join(root, 'go-build'), GOFLAGS: '-count=1', ...rustupHomes() },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const stderr = await new Response(loop.stderr).text();
  const status = await loop.exited;
  if (status > 1) throw new Error(`peers loop exited ${status}: ${stderr.slice(-2000)}`);
  const outcome = { reason: readFileSync(statePaths(stateDir).stopReason, 'utf8').trim().split(' ')[0]!, exitCode: status };
  const ticks = tickLines(readRunLog(statePaths(stateDir).runs));
  const state = loadState(statePaths(stateDir).state)!;
  return { repo, root, init, outcome, ticks, state, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** RUSTUP_HOME and CARGO_HOME where the toolchain lives (from the environment, else under HOME). */
function rustupHomes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, d] of [['RUSTUP_HOME', '.rustup'], ['CARGO_HOME', '.cargo']] as const) {
    const dir = process.env[k] ?? join(homedir(), d);
    if (existsSync(dir)) out[k] = dir;
  }
  return out;
}

/** The gates of the last evaluation that failed, with their diagnostics. */
export function failingGates(run: ModeRun): Record<string, string> {
  return Object.fromEntries(Object.entries(run.state.gates.results).filter(([, r]) => r.state === 'fail').map(([id, r]) => [id, r.diagnostic]));
}
