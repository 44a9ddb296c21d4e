/**
 * A throwaway world for fuzzing the compiled binary: its own HOME and XDG directories, two real
 * projects (one as `peers init` leaves it, one that has run two ticks of the real loop with fake
 * peers, so every state file exists in its real shape), odd filesystem objects to point paths at,
 * and shims for podman and the peer CLIs that record every call and do nothing. The pristine
 * files are kept aside, and `restore()` puts them back after each case.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const REPO_ROOT = resolve(import.meta.dir, '../..');
export const PEERS = join(REPO_ROOT, 'dist/peers');
const FIXTURES = join(REPO_ROOT, 'test/fixtures');

export type World = {
  root: string;
  env: Record<string, string>;
  /** `peers init` as a user runs it: the real template config and goals. */
  repoA: string;
  /** Has run two ticks of the real loop (fake peers): state.json, runs.jsonl, prompts, logs, cache. */
  repoB: string;
  stateB: string;
  registry: string;
  scenario: string;
  /** Odd things to point a path at. */
  odd: Record<'plainDir' | 'file' | 'fifo' | 'dangling' | 'selfLoop' | 'devZeroLink' | 'dirLink' | 'huge' | 'fileParent', string>;
  shimLog: string;
  /** Files a user or a peer can write, by role. */
  stateFiles: string[];
  controlFiles: string[];
  restore(): void;
  cleanup(): void;
};

function run(argv: string[], cwd: string, env: Record<string, string>): void {
  const r = Bun.spawnSync(argv, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (${r.exitCode}): ${r.stderr.toString()}${r.stdout.toString()}`);
}

function gitRepo(dir: string, env: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  run(['git', 'init', '-q', '-b', 'main'], dir, env);
  writeFileSync(join(dir, 'README.md'), '# fuzz\n');
  run(['git', 'add', '-A'], dir, env);
  run(['git', 'commit', '-q', '-m', 'initial'], dir, env);
}

export function buildWorld(): World {
  if (!existsSync(PEERS)) throw new Error('dist/peers is missing: run `node_modules/.bin/bun build.ts` first (test/setup.sh does)');
  const root = mkdtempSync(join(tmpdir(), 'peers-fuzz-'));
  const home = join(root, 'home');
  const bin = join(root, 'bin');
  const shimLog = join(root, 'shim-calls.log');
  for (const d of [home, bin, join(root, 'run'), join(root, 'tmp')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // Anything that could start a pod or reach a vendor is a shim that records the call and fails.
  for (const tool of ['podman', 'docker', 'claude', 'codex', 'opencode', 'kubectl']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> '${shimLog}'\nexit 1\n`, { mode: 0o755 });
  }
  writeFileSync(shimLog, '');
  const env: Record<string, string> = {
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    XDG_RUNTIME_DIR: join(root, 'run'),
    TMPDIR: join(root, 'tmp'),
    PEERS_PODMAN: join(bin, 'podman'),
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Fuzz',
    GIT_AUTHOR_EMAIL: 'fuzz@peers.test',
    GIT_COMMITTER_NAME: 'Fuzz',
    GIT_COMMITTER_EMAIL: 'fuzz@peers.test',
  };

  const repoA = join(root, 'repo-a');
  gitRepo(repoA, env);
  run([PEERS, 'init'], repoA, env);

  const repoB = join(root, 'repo-b');
  gitRepo(repoB, env);
  run([PEERS, 'init'], repoB, env);
  const fake = (name: string) => ({ name, tool: 'custom', argv: ['sh', join(FIXTURES, 'peers/always-handoff.sh')], prompt_mode: 'stdin' });
  writeFileSync(join(repoB, '.peers/config.yaml'), stringify({ peers: [fake('alice'), fake('bob')], health: { idle_timeout_s: 20, absolute_max_runtime_s: 60, kill_grace_s: 1 } }));
  writeFileSync(join(repoB, '.peers/goals.yaml'), stringify({ goals: [{ id: 'has-work', type: 'hard', cmd: 'ls work-*.txt', pass_when: 'exit_code == 0', cacheable: true }] }));
  run([PEERS, 'loop', repoB, '--max-ticks', '2', '--no-recon', '--no-codemap'], repoB, env);
  const stateRoot = join(env.XDG_STATE_HOME!, 'peers');
  const stateB = join(stateRoot, readdirSync(stateRoot).find((d) => d.startsWith('repo-b-'))!);
  const registry = join(env.XDG_CONFIG_HOME!, 'peers', 'projects.json');

  const scenario = join(root, 'scenario.yaml');
  cpSync(join(FIXTURES, 'scenarios/rehearsal.yaml'), scenario);

  const odd = {
    plainDir: join(root, 'plain'),
    file: join(root, 'file.txt'),
    fifo: join(root, 'fifo'),
    dangling: join(root, 'dangling'),
    selfLoop: join(root, 'self-loop'),
    devZeroLink: join(root, 'zero'),
    dirLink: join(root, 'dir-link'),
    huge: join(root, 'huge.bin'),
    fileParent: join(root, 'file.txt', 'below'),
  };
  mkdirSync(odd.plainDir);
  writeFileSync(odd.file, 'just a file\n');
  run(['mkfifo', odd.fifo], root, env);
  symlinkSync(join(root, 'nowhere'), odd.dangling);
  symlinkSync(odd.selfLoop, odd.selfLoop);
  symlinkSync('/dev/zero', odd.devZeroLink);
  symlinkSync(repoA, odd.dirLink);
  run(['truncate', '-s', '300M', odd.huge], root, env);

  // Where the auth sidecar keeps its ledger in a pod run, so a mutation can plant one.
  mkdirSync(join(stateB, 'sidecars', 'auth'), { recursive: true });
  const prompts = join(stateB, 'prompts');
  const stateFiles = [
    'state.json', 'runs.jsonl', 'last-stop-reason.txt', 'gate-cache.json', 'run.lock', 'HALTED.md', 'REPORT.md',
    'snapshot/config.yaml', 'snapshot/goals.yaml', 'snapshot', 'logs', 'prompts', join('prompts', readdirSync(prompts)[0]!),
    // The trusted mirror every host read goes through, and files `peers up` and the pod write
    // (absent after a host loop: a mutation creates them).
    'run', 'run/mirror.git', 'run/mirror.git/HEAD', 'run/mirror.git/config', 'run/mirror.git/packed-refs', 'diffs',
    'budget.json', 'gate-cache.key', 'sidecars/auth/usage.jsonl', 'user-repo-fingerprint.json',
    // The operator's controls (pause, resume, runtime) and the loop container's console log.
    'control', 'control/operator.json', 'loop.log',
  ].map((f) => join(stateB, f));
  const controlFiles = [join(repoA, '.peers/config.yaml'), join(repoA, '.peers/goals.yaml'), join(repoA, '.peers'), join(repoB, '.peers/config.yaml')];

  const pristine = join(root, 'pristine');
  const saved: [string, string][] = [
    [stateB, join(pristine, 'state-b')],
    [join(env.XDG_CONFIG_HOME!, 'peers'), join(pristine, 'config-peers')],
    [join(repoA, '.peers'), join(pristine, 'peers-a')],
    [join(repoB, '.peers'), join(pristine, 'peers-b')],
    [scenario, join(pristine, 'scenario.yaml')],
  ];
  for (const [from, to] of saved) cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return {
    root, env, repoA, repoB, stateB, registry, scenario, odd, shimLog, stateFiles, controlFiles,
    restore() {
      for (const [live, copy] of saved) {
        rmSync(live, { recursive: true, force: true });
        cpSync(copy, live, { recursive: true, verbatimSymlinks: true });
      }
      // Commands may write beside them (REPORT.md, VERIFY.md, other state dirs): forget those too.
      for (const extra of readdirSync(stateRoot)) if (join(stateRoot, extra) !== stateB) rmSync(join(stateRoot, extra), { recursive: true, force: true });
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
