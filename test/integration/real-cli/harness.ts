/**
 * Runs the real `claude` and `codex` CLIs (the pinned dev dependencies) against the scripted model
 * server, as the unprivileged test user: Claude Code refuses --dangerously-skip-permissions as
 * root. Every run goes through the same supervise() the loop uses for peers, so idle timeouts and
 * kills behave here as they will in production.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { supervise, type SupervisedResult } from '../../../src/proc/supervise.ts';
import { CLAUDE_PRINT_ARGV, CODEX_EXEC_ARGV, OPENCODE_RUN_ARGV, claudeEnv, codexEnv, codexProviderArgs, modelServerPeerSpecs, opencodeEnv, writeCodexHome, type OpencodePrice } from '../../../src/model-server/cli-wiring.ts';
import { ScenarioSchema, type Scenario } from '../../../src/model-server/scenario-schema.ts';
import { startModelServer, type ModelServerHandle } from '../../../src/model-server/server.ts';

const REPO_ROOT = resolve(import.meta.dir, '../../..');
export const CLAUDE_BIN = join(REPO_ROOT, 'node_modules/.bin/claude');
export const CODEX_BIN = join(REPO_ROOT, 'node_modules/.bin/codex');
export const OPENCODE_BIN = join(REPO_ROOT, 'node_modules/.bin/opencode');
export const TEST_USER = process.env.PEERS_TEST_USER ?? 'peerstest';
export const IS_ROOT = process.getuid?.() === 0;

/** Claude Code's list prices for the default model (USD per million tokens), read off its own cost reports. */
export const CLAUDE_OPUS_PRICES = { input: 4, output: 20, cache_read: 0.2, cache_write: 5 };

function uidGid(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', TEST_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', TEST_USER]).toString().trim());
  return { uid, gid };
}

/** The unprivileged user exists (setup.sh creates it; created here if a developer skipped setup). */
export function ensureTestUser(): void {
  if (!IS_ROOT) return;
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', TEST_USER]);
  }
}

function chownTree(path: string, ids: { uid: number; gid: number }): void {
  chownSync(path, ids.uid, ids.gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), ids);
}

/** A scratch directory the test user owns (and everything in it, when called again after writes). */
export function userDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `peers-h5-${prefix}-`));
  chmodSync(dir, 0o755);
  giveToTestUser(dir);
  return dir;
}

export function giveToTestUser(path: string): void {
  if (IS_ROOT) chownTree(path, uidGid());
}

/** Runs git as the test user, so ownership checks (safe.directory) never get in the way. */
export function gitAsUser(repo: string, args: string[], env: Record<string, string> = {}): string {
  const argv = IS_ROOT ? ['runuser', '-u', TEST_USER, '--', 'git', '-C', repo, ...args] : ['git', '-C', repo, ...args];
  return execFileSync(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: repo, ...env } }).toString();
}

const TEST_IDENTITY = { GIT_AUTHOR_NAME: 'Peer Test', GIT_AUTHOR_EMAIL: 'peer@test.invalid', GIT_COMMITTER_NAME: 'Peer Test', GIT_COMMITTER_EMAIL: 'peer@test.invalid' };

/**
 * A git repository with one commit, owned by the test user. `gitIdentity: false` leaves git no
 * identity in the repository (as in a user's fresh clone): the peers get theirs from peers.
 */
export function makeRepo(opts: { gitIdentity?: boolean } = {}): string {
  const repo = userDir('repo');
  gitAsUser(repo, ['init', '-q', '-b', 'main']);
  if (opts.gitIdentity !== false) {
    gitAsUser(repo, ['config', 'user.name', 'Peer Test']);
    gitAsUser(repo, ['config', 'user.email', 'peer@test.invalid']);
  }
  gitAsUser(repo, ['commit', '-q', '--allow-empty', '-m', 'Initial commit'], TEST_IDENTITY);
  return repo;
}

export function startServer(scenario: unknown, logFile?: string): ModelServerHandle {
  return startModelServer({ scenario: ScenarioSchema.parse(scenario) as Scenario, port: 0, logFile });
}

export function scenarioYaml(scenario: unknown): string {
  return stringify(scenario);
}

export type CliRun = SupervisedResult & { events: Array<Record<string, unknown>> };

function parseEvents(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** `args` replaces the default arguments after the binary (e.g. an argv built by buildPeerArgv). */
type RunOptions = { cwd: string; prompt?: string; args?: string[]; extraArgs?: string[]; extraEnv?: Record<string, string>; idleTimeoutMs?: number; absoluteTimeoutMs?: number };

/** Any command line as the test user (e.g. a peer argv built by buildPeerArgv), with only `env` in its environment. */
export async function runAsUser(cmd: string[], env: Record<string, string>, opts: RunOptions): Promise<CliRun> {
  const fullEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', ...env, ...opts.extraEnv };
  const envArgs = ['env', '-i', ...Object.entries(fullEnv).map(([k, v]) => `${k}=${v}`)];
  const argv = IS_ROOT ? ['runuser', '-u', TEST_USER, '--', ...envArgs, ...cmd] : [...envArgs, ...cmd];
  const result = await supervise({
    argv,
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    stdin: opts.prompt ?? 'Take your tick.',
    idleTimeoutMs: opts.idleTimeoutMs,
    absoluteTimeoutMs: opts.absoluteTimeoutMs ?? 50_000,
    killGraceMs: 2000,
  });
  return { ...result, events: parseEvents(result.stdout) };
}

/** `claude -p --output-format stream-json …` with the prompt on stdin, pointed at the server as `peer`. */
export async function runClaude(server: ModelServerHandle, peer: string, opts: RunOptions): Promise<CliRun> {
  const home = userDir('claude-home');
  try {
    return await runAsUser([CLAUDE_BIN, ...(opts.args ?? CLAUDE_PRINT_ARGV), ...(opts.extraArgs ?? [])], claudeEnv({ serverUrl: server.url!, peer, home }), opts);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `codex exec --json …` with the prompt on stdin, a fresh CODEX_HOME, pointed at the server as `peer`. */
export async function runCodex(server: ModelServerHandle, peer: string, opts: RunOptions & { model?: string; viaConfigToml?: boolean }): Promise<CliRun> {
  const home = userDir('codex-home');
  mkdirSync(join(home, '.codex'), { recursive: true });
  // Either a config.toml in CODEX_HOME selects the server, or `-c` overrides on the command line.
  if (opts.viaConfigToml) writeCodexHome(join(home, '.codex'), { serverUrl: server.url!, peer, model: opts.model ?? 'gpt-5.5' });
  giveToTestUser(home);
  try {
    const base = opts.args ?? [...CODEX_EXEC_ARGV, ...(opts.viaConfigToml ? [] : ['-c', `model="${opts.model ?? 'gpt-5.5'}"`])];
    const args = [...base, ...(opts.extraArgs ?? []), ...(opts.viaConfigToml ? [] : codexProviderArgs({ serverUrl: server.url!, peer }))];
    return await runAsUser([CODEX_BIN, ...args], { HOME: home, ...codexEnv(join(home, '.codex')) }, opts);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `opencode run --format json --auto` with the prompt on stdin, a fresh HOME, pointed at the server as `peer`. */
export async function runOpencode(server: ModelServerHandle, peer: string, opts: RunOptions & { model: string; price?: OpencodePrice }): Promise<CliRun> {
  const home = userDir('opencode-home');
  try {
    const env = opencodeEnv({ serverUrl: server.url!, peer, home, model: opts.model, price: opts.price });
    return await runAsUser([OPENCODE_BIN, ...(opts.args ?? OPENCODE_RUN_ARGV), ...(opts.extraArgs ?? [])], env, opts);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The handoff commit every scripted tick makes: the tick protocol's trailers and Self-Review section. */
export function handoffCommitCommand(peer: string, subject: string): string {
  return [
    "git add -A && git commit -q -F - <<'MSG'",
    subject,
    '',
    '## Self-Review',
    `${peer} checked that the change is complete and builds.`,
    '',
    `Peer: ${peer}`,
    'Peer-Status: handoff',
    'Self-Review: pass',
    'MSG',
  ].join('\n');
}

export type LoopProject = { repo: string; root: string; stateDir: string; cleanup(): void };

/**
 * A repository whose `.peers/config.yaml` runs the real claude and codex CLIs against `server`,
 * wired by cli-wiring exactly as a rehearsal would be, with a state directory the test user owns.
 */
export function makeLoopProject(server: ModelServerHandle, opts: { goals: unknown[]; health?: Record<string, unknown>; goalsSettings?: Record<string, unknown>; budget?: Record<string, unknown>; claudeEnv?: Record<string, string>; peers?: Array<'claude' | 'codex' | 'opencode'>; opencodePrice?: OpencodePrice; gitIdentity?: boolean; /** Per-peer base URLs (e.g. the auth sidecar's ports) instead of the server's. */ urls?: Partial<Record<'claude' | 'codex' | 'opencode', string>> }): LoopProject {
  const repo = makeRepo({ gitIdentity: opts.gitIdentity });
  const root = userDir('loop');
  for (const d of ['claude-home', 'codex-home', 'opencode-home', 'state']) mkdirSync(join(root, d));
  giveToTestUser(root);
  const serverUrl = server.url!;
  const specsFor = (url: string) => modelServerPeerSpecs({ serverUrl: url, claudeBin: CLAUDE_BIN, codexBin: CODEX_BIN, claudeHome: join(root, 'claude-home'), codexHome: join(root, 'codex-home'), extraClaudeEnv: opts.claudeEnv, opencodeBin: OPENCODE_BIN, opencodeHome: join(root, 'opencode-home'), opencodePrice: opts.opencodePrice });
  const specs = { claude: specsFor(opts.urls?.claude ?? serverUrl).claude, codex: specsFor(opts.urls?.codex ?? serverUrl).codex, opencode: specsFor(opts.urls?.opencode ?? serverUrl).opencode };
  mkdirSync(join(repo, '.peers'));
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(
    join(repo, '.peers', 'config.yaml'),
    stringify({
      peers: (opts.peers ?? ['claude', 'codex']).map((p) => specs[p]),
      health: { idle_timeout_s: 30, absolute_max_runtime_s: 60, kill_grace_s: 2, ...opts.health },
      goals: opts.goalsSettings ?? {},
      ...(opts.budget ? { budget: opts.budget } : {}),
    }),
  );
  writeFileSync(join(repo, '.peers', 'goals.yaml'), stringify({ goals: opts.goals }));
  giveToTestUser(repo);
  gitAsUser(repo, ['add', '.gitignore']);
  gitAsUser(repo, ['commit', '-q', '-m', 'Ignore the control plane'], TEST_IDENTITY);
  return {
    repo,
    root,
    stateDir: join(root, 'state'),
    cleanup: () => {
      removeDir(repo);
      removeDir(root);
    },
  };
}

const MAIN = resolve(import.meta.dir, '../../../src/main.ts');
const DIST_PEERS = resolve(import.meta.dir, '../../../dist/peers');

/**
 * `peers loop` as the test user (it starts claude, which refuses to run as root). `compiled`: the binary test/setup.sh builds (dist/peers) instead of the sources; its gates'
 * `peers check` calls start in a fraction of the time, which counts for goal programs full of them.
 */
export async function runLoopAsUser(project: LoopProject, args: string[], opts: { timeoutMs?: number; compiled?: boolean } = {}): Promise<SupervisedResult & { runs: Array<Record<string, unknown>>; stopReason: string }> {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: join(project.root, 'claude-home'), LANG: 'C.UTF-8' };
  if (opts.compiled && !existsSync(DIST_PEERS)) throw new Error(`${DIST_PEERS} is missing: run \`bun build.ts\` (test/setup.sh does)`);
  const loopArgv = [...(opts.compiled ? [DIST_PEERS] : [process.execPath, MAIN]), 'loop', project.repo, '--state-dir', project.stateDir, ...args];
  const envArgs = ['env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const result = await supervise({
    argv: IS_ROOT ? ['runuser', '-u', TEST_USER, '--', ...envArgs, ...loopArgv] : [...envArgs, ...loopArgv],
    cwd: project.repo,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    absoluteTimeoutMs: opts.timeoutMs ?? 150_000,
  });
  const runsFile = join(project.stateDir, 'runs.jsonl');
  const runs = existsSync(runsFile) ? parseEvents(readFileSync(runsFile, 'utf8')) : [];
  const reasonFile = join(project.stateDir, 'last-stop-reason.txt');
  // last-stop-reason.txt is `<reason> <timestamp>`; the reason is what tests compare.
  return { ...result, runs, stopReason: existsSync(reasonFile) ? readFileSync(reasonFile, 'utf8').trim().split(/\s+/)[0]! : '' };
}
