/**
 * Test harness for the loop: a real git repository with a `.peers/` control plane whose peers are
 * the shell-script fakes in test/fixtures/peers, and a private state directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { gitOk } from '../../../src/git/git.ts';
import { runLoop, type LoopOptions, type LoopOutcome } from '../../../src/loop/shell/loop-runner.ts';
import { readRunLog, tickLines, type TickLine, type ExitLine } from '../../../src/state/run-log.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { statePaths } from '../../../src/state/paths.ts';

export const FIXTURES = resolve(import.meta.dir, '../../fixtures/peers');
export const REPO_ROOT = resolve(import.meta.dir, '../../..');

export type ProjectSpec = {
  peers: Record<string, string>;
  goals?: unknown[];
  health?: Record<string, unknown>;
  budget?: Record<string, unknown>;
  goalsSettings?: Record<string, unknown>;
  peerExtra?: Record<string, Record<string, unknown>>;
  /** `config.setup`: the gate dependency install command. */
  setup?: string;
};

export type Project = { repo: string; stateDir: string; root: string; cleanup(): void };

const ident = ['-c', 'user.name=tester', '-c', 'user.email=tester@peers.test'];

export function configYaml(spec: ProjectSpec): string {
  return stringify({
    peers: Object.entries(spec.peers).map(([name, fixture]) => ({
      name,
      tool: 'custom',
      argv: ['sh', join(FIXTURES, `${fixture}.sh`)],
      prompt_mode: 'stdin',
      ...(spec.peerExtra?.[name] ?? {}),
    })),
    health: { idle_timeout_s: 5, absolute_max_runtime_s: 20, kill_grace_s: 1, ...(spec.health ?? {}) },
    budget: { ...(spec.budget ?? {}) },
    goals: { stuck_halt_after: 50, ...(spec.goalsSettings ?? {}) },
    ...(spec.setup ? { setup: spec.setup } : {}),
  });
}

export function makeProject(spec: ProjectSpec): Project {
  const root = mkdtempSync(join(tmpdir(), 'peers-loop-'));
  const repo = join(root, 'repo');
  const stateDir = join(root, 'state');
  mkdirSync(join(repo, '.peers'), { recursive: true });
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  writeFileSync(join(repo, '.peers', 'config.yaml'), configYaml(spec));
  writeFileSync(join(repo, '.peers', 'goals.yaml'), stringify({ goals: spec.goals ?? [] }));
  gitOk(repo, [...ident, 'add', '-A']);
  gitOk(repo, [...ident, 'commit', '-q', '-m', 'initial']);
  return { repo, stateDir, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function writeConfig(p: Project, spec: ProjectSpec): void {
  writeFileSync(join(p.repo, '.peers', 'config.yaml'), configYaml(spec));
}

export async function loop(p: Project, o: Partial<LoopOptions> = {}): Promise<LoopOutcome> {
  return runLoop({ repo: p.repo, stateDir: p.stateDir, log: () => {}, backoffBaseMs: 10, ...o });
}

export function ticks(p: Project): TickLine[] {
  return tickLines(readRunLog(statePaths(p.stateDir).runs));
}

export function exits(p: Project): ExitLine[] {
  return readRunLog(statePaths(p.stateDir).runs).lines.filter((l): l is ExitLine => l.event === 'exit');
}

export function state(p: Project) {
  const s = loadState(statePaths(p.stateDir).state);
  if (!s) throw new Error('no state.json');
  return s;
}

export function stopReason(p: Project): string {
  return readFileSync(statePaths(p.stateDir).stopReason, 'utf8').split(' ')[0]!;
}

/** The exact prompt a tick's peer received. */
export function promptOf(p: Project, t: TickLine): string {
  return readFileSync(join(p.stateDir, t.prompt_file as string), 'utf8');
}

export const HARD_GOAL_WORK = { id: 'has-work', type: 'hard', cmd: 'ls work-*.txt', pass_when: 'exit_code == 0' };

/** The CLI as a separate process (for signals and the run lock). */
export function spawnLoopCli(p: Project, args: string[] = [], extraEnv: Record<string, string> = {}) {
  // Gate checkouts of a killed loop land in the project's own temp dir, removed with it.
  const tmp = join(p.root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), 'loop', p.repo, '--state-dir', p.stateDir, '--backoff-base-ms', '10', ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, TMPDIR: tmp, ...extraEnv },
  });
}
