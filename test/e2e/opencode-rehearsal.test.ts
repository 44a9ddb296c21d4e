/**
 * opencode in the pod, automated (it was only ever checked by hand): a user's npm library, the
 * configuration `peers init` writes with its commented opencode peer uncommented in claude's place
 * (a rehearsal tells peers apart by API, and opencode speaks claude's), then `peers up --rehearse
 * --attach`. The real `opencode` and `codex` CLIs run in the real pod (rootless podman, the
 * compiled binary) and reach the scripted model server only through the auth sidecar. Every
 * opencode request gets a scripted reply (none refused or unmatched), each of its turns commits
 * under `Peer: opencode`, and the run ends `complete`. Skipped where the opencode CLI is not
 * installed (test/setup.sh installs it from package.json's optionalTools).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLAMP_GOAL, CLAMP_LIB_FILES, EXPECTED_TICKS, scenario } from '../fixtures/projects/clamp-lib.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, removeRunLeftovers, uid, podKeyIn } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');
const OPENCODE = resolve(import.meta.dir, '..', '..', 'node_modules', '.bin', 'opencode');
const haveOpencode = existsSync(OPENCODE);
const skip = !need.ok || !haveOpencode;
const why = need.ok && !haveOpencode ? ' (skipped: opencode is not installed; test/setup.sh installs it)' : need.skipped;
setDefaultTimeout(300_000);

let root = '';
let repo = '';
let key = '';
let env: Record<string, string> = {};

/** The clamp-lib scenario with opencode playing claude's part: its commits say `Peer: opencode`. */
const opencodeScenario = (() => {
  const s = structuredClone(scenario) as { peers: Record<string, unknown> };
  const claude = JSON.parse(JSON.stringify(s.peers.claude).replaceAll('Peer: claude', 'Peer: opencode').replaceAll('claude checked', 'opencode checked'));
  return { ...s, peers: { opencode: claude, codex: s.peers.codex } };
})();

const peers = (args: string[], timeoutMs = 280_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const git = (args: string[]) => asUser(['git', ...args], { cwd: repo, env }).stdout.trim();

beforeAll(() => {
  if (skip) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-opencode-');
  repo = join(root, 'clamp-lib');
  mkdirSync(join(repo, 'test'), { recursive: true });
  for (const [file, text] of Object.entries(CLAMP_LIB_FILES)) writeFileSync(join(repo, file), text);
  writeFileSync(join(root, 'rehearsal.yaml'), stringify(opencodeScenario));
  env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), NO_COLOR: '1' };
  const r = Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, root]);
  if (r.exitCode !== 0) throw new Error(`chown ${root} failed`);
  const made = asUser(['sh', '-ec', `git init -q -b main && git add -A && git -c user.name=Dev -c user.email=dev@example.com commit -qm clamp-lib && ${PEERS_BIN} init >/dev/null`], { cwd: repo, env });
  expect(made.code, made.stderr).toBe(0);
  // The user's edits, as the comments in config.yaml suggest: opencode in claude's place, the
  // feature as a hard goal.
  const configPath = join(repo, '.peers', 'config.yaml');
  const config = parse(readFileSync(configPath, 'utf8')) as { peers: Array<Record<string, unknown>> };
  config.peers = [
    { name: 'opencode', tool: 'opencode', argv: ['opencode', 'run', '--format', 'json', '--auto'], prompt_mode: 'stdin', model: 'anthropic/claude-sonnet-4-6' },
    ...config.peers.filter((p) => p.name !== 'claude'),
  ];
  writeFileSync(configPath, stringify(config));
  const goalsPath = join(repo, '.peers', 'goals.yaml');
  const goals = parse(readFileSync(goalsPath, 'utf8')) as { goals: Array<Record<string, unknown>> };
  goals.goals = [...goals.goals.filter((g) => g.type === 'hard'), CLAMP_GOAL];
  writeFileSync(goalsPath, stringify(goals));
  Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, join(repo, '.peers')]);
}, 20 * 60_000);

afterAll(() => {
  if (skip) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

test.skipIf(skip)(`an opencode peer in the pod: its requests reach the scripted model through the auth sidecar, each of its turns commits, the run completes${why}`, () => {
  const up = peers(['up', '--rehearse', join(root, 'rehearsal.yaml'), '--attach']);
  key = podKeyIn(up.stderr) ?? '';
  const stateDir = join(root, 'state', 'peers', key);
  if (up.code !== 0) console.error(up.stdout.slice(-6000), up.stderr.slice(-3000));
  expect(up.stdout).toContain('the run stopped: complete');
  expect(up.code).toBe(0);

  const ticks = readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'tick');
  const expected = EXPECTED_TICKS.map(([p, s]) => [p === 'claude' ? 'opencode' : p, s, true, null]);
  expect(ticks.map((t) => [t.peer, t.skeptic, t.success, t.cause])).toEqual(expected);

  // Every request opencode made was served a scripted reply: none refused, none unmatched.
  const served = readFileSync(join(stateDir, 'rehearsal', 'served.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; peer?: string });
  expect(served.filter((r) => r.kind !== 'reply' && r.kind !== 'auxiliary')).toEqual([]);
  expect(served.filter((r) => r.kind === 'reply' && r.peer === 'opencode').length).toBeGreaterThanOrEqual(8);

  // opencode's three turns came back on the results branch under its own name.
  const authors = git(['log', '--format=%an', 'main..peers/clamp-lib']).split('\n').reverse();
  expect(authors).toEqual(expected.map(([p]) => `${p} (peers)`));
  expect(git(['show', 'peers/clamp-lib:index.js'])).toContain('export function clamp');
  expect(peers(['down']).code).toBe(0);
});
