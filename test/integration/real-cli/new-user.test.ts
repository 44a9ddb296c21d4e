/**
 * A new user on a real-shaped project, on a machine with no git identity anywhere (HOME without
 * .gitconfig, no system config, no identity in the repository, and git not allowed to guess one):
 * a small npm library with green tests; `peers init` proposes its test suite as a gate; `peers
 * verify` is green; the user edits goals.yaml (their feature as a hard goal, the template's review
 * rounds dropped) and points the init-written peers at the scripted model server (README,
 * "Rehearse offline"); then the real claude and codex CLIs work through the host loop until the
 * run is `complete`, committing under the documented default identity.
 * The pod version of this walk-through, with `peers up --rehearse`: test/e2e/new-user-rehearsal.test.ts.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { claudeEnv, codexEnv, codexProviderArgs } from '../../../src/model-server/cli-wiring.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { supervise } from '../../../src/proc/supervise.ts';
import { IS_ROOT, TEST_USER, ensureTestUser, giveToTestUser, removeDir, startServer, userDir } from './harness.ts';
import { CLAMP_GOAL, CLAMP_LIB_FILES, EXPECTED_TICKS, scenario } from '../../fixtures/projects/clamp-lib.ts';
import { requires } from '../../requirements.ts';

/** Skipped, with the reason printed, where claude or codex is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('claude', 'codex');

const ROOT = resolve(import.meta.dir, '../../..');
const MAIN = join(ROOT, 'src/main.ts');
const NODE_BIN = join(ROOT, 'node_modules/.bin');

let server: ModelServerHandle;
let root: string;
let repo: string;
let env: Record<string, string>;

/** The user's shell: no git identity anywhere, and git may not invent one from the host name. */
function userEnv(home: string): Record<string, string> {
  return {
    PATH: `${NODE_BIN}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local/state'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'user.useConfigOnly',
    GIT_CONFIG_VALUE_0: 'true',
    npm_config_cache: join(home, '.npm'),
    npm_config_update_notifier: 'false',
  };
}

function asUserArgv(argv: string[], extra: Record<string, string> = {}): string[] {
  const envArgs = ['env', '-i', ...Object.entries({ ...env, ...extra }).map(([k, v]) => `${k}=${v}`)];
  return IS_ROOT ? ['runuser', '-u', TEST_USER, '--', ...envArgs, ...argv] : [...envArgs, ...argv];
}
function sh(argv: string[], extra: Record<string, string> = {}) {
  const [cmd, ...args] = asUserArgv(argv, extra);
  const r = spawnSync(cmd!, args, { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const peers = (args: string[]) => sh([process.execPath, MAIN, ...args]);
const git = (args: string[]) => sh(['git', ...args]).stdout.trim();

beforeAll(() => {
  if (!need.ok) return;
  ensureTestUser();
  server = startServer(scenario);
  root = userDir('new-user');
  const home = join(root, 'home');
  repo = join(root, 'clamp-lib');
  for (const d of [home, repo, join(repo, 'test'), join(root, 'claude-home'), join(root, 'codex-home')]) mkdirSync(d, { recursive: true });
  for (const [file, text] of Object.entries(CLAMP_LIB_FILES)) writeFileSync(join(repo, file), text);
  giveToTestUser(root);
  env = userEnv(home);
});

afterAll(async () => {
  if (!need.ok) return;
  await server.stop();
  removeDir(root);
});

test.skipIf(!need.ok)('init proposes the gates, verify is green, and the real CLIs take the run to complete with no identity anywhere', async () => {
  // The user's own first commit (they have an identity for that commit only, not in any config).
  expect(sh(['git', 'init', '-q', '-b', 'main']).code).toBe(0);
  expect(sh(['git', 'add', '-A']).code).toBe(0);
  expect(sh(['git', 'commit', '-q', '-m', 'sum()'], { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' }).code).toBe(0);
  expect(sh(['git', 'commit', '--allow-empty', '-q', '-m', 'x']).code).not.toBe(0); // truly no identity

  const init = peers(['init']);
  expect(init.code).toBe(0);
  expect(init.stdout).toContain('Found a node project; proposed:\n  gate tests-pass: npm test');

  const verify = peers(['verify']);
  expect(verify.stdout).toContain('Result: PASS (hard 3/3');
  expect(verify.code).toBe(0);

  // The user's edits. goals.yaml: their feature as a hard goal; the template's review rounds dropped.
  const goalsPath = join(repo, '.peers', 'goals.yaml');
  const goals = parse(readFileSync(goalsPath, 'utf8')) as { goals: Array<Record<string, unknown>> };
  goals.goals = goals.goals.filter((g) => g.type === 'hard');
  goals.goals.push(CLAMP_GOAL);
  writeFileSync(goalsPath, stringify(goals));
  // config.yaml: the peers `init` wrote, pointed at the scripted model server (README, Rehearse offline).
  const configPath = join(repo, '.peers', 'config.yaml');
  const config = parse(readFileSync(configPath, 'utf8')) as { peers: Array<Record<string, unknown> & { argv: string[] }> };
  const [claude, codex] = config.peers;
  expect(claude!.argv[0]).toBe('claude');
  expect(codex!.argv).toEqual(['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '-']);
  Object.assign(claude!, { model: 'claude-opus-5-5', env: { ...claudeEnv({ serverUrl: server.url!, peer: 'claude', home: join(root, 'claude-home') }), CLAUDE_CODE_MAX_RETRIES: '0' } });
  Object.assign(codex!, { model: 'gpt-5.5', argv: [...codex!.argv.slice(0, -1), ...codexProviderArgs({ serverUrl: server.url!, peer: 'codex' }), '-'], env: { HOME: join(root, 'codex-home'), ...codexEnv(join(root, 'codex-home')) } });
  writeFileSync(configPath, stringify(config));
  giveToTestUser(join(repo, '.peers'));
  expect(peers(['info']).stdout).toContain('commits as: claude (peers) <claude@peers.invalid> (default: no git identity found');

  const stateDir = join(root, 'state');
  const loop = await supervise({
    argv: asUserArgv([process.execPath, MAIN, 'loop', repo, '--state-dir', stateDir, '--max-ticks', '8']),
    cwd: repo,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    absoluteTimeoutMs: 230_000,
  });
  if (loop.exitCode !== 0 || !loop.stdout.includes('Stopped: complete')) console.error(loop.stderr.slice(-4000));
  expect(loop.exitCode).toBe(0);
  expect(loop.stdout).toContain('Stopped: complete');
  const lines = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l.event === 'tick').map((t) => [t.peer, t.skeptic, t.success, t.cause])).toEqual(EXPECTED_TICKS.map(([p, skeptic]) => [p, skeptic, true, null]));
  expect(server.log.records.filter((r) => r.kind !== 'reply')).toEqual([]);

  // The peers committed under the documented default identity, author and committer alike.
  expect(git(['log', '--format=%an <%ae>|%cn <%ce>', 'peers-baseline..HEAD']).split('\n').reverse()).toEqual(
    EXPECTED_TICKS.map(([p]) => `${p} (peers) <${p}@peers.invalid>|${p} (peers) <${p}@peers.invalid>`),
  );
  expect(git(['config', '--get', 'user.email'])).toBe('');
  // What the user reads in the morning.
  const status = peers(['status', repo, '--state-dir', stateDir]);
  expect(status.stdout).toContain('Last stop: complete');
  const report = peers(['report', repo, '--state-dir', stateDir]);
  expect(report.stdout).toContain('**Outcome:** complete');
  expect(report.stdout).not.toContain('## Why ticks failed');
  // And the work is real: the suite at HEAD has the new tests, and verify is green again.
  const after = peers(['verify']);
  expect(after.stdout).toContain('Result: PASS (hard 4/4');
  expect(existsSync(join(repo, 'test', 'clamp-edges.test.js'))).toBe(true);
}, 240_000);
