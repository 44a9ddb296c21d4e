/**
 * A new user, the pod, their own configuration: a small npm library nobody here wrote, in a
 * shallow clone (`git clone --depth 1`, as of a large project or a CI checkout), on a machine with
 * no git identity anywhere (no ~/.gitconfig, no system config, none in the
 * repository, git not allowed to guess one). `peers init` proposes the test suite as a gate;
 * `peers verify` is green; the user adds their feature as a hard goal and leaves the peers exactly
 * as `init` wrote them; `peers up --rehearse SCENARIO.yaml --attach` runs the real claude and
 * codex CLIs in the real pod (rootless podman, the compiled binary) against the scripted model
 * server, the only upstream, to `complete`, under the documented default identity. Then:
 *  - no credential entered the pod and no vendor host was reachable (the auth container has no key
 *    though the user's shell has them; the egress proxy serves no vendor host);
 *  - a real `peers up` does not continue the rehearsal (exit 2, saying to start over);
 *  - `peers up --fresh --rehearse` archives the rehearsal (its five ticks) and starts a new run
 *    from the user's HEAD (a new clone at main; the results branch back at main, the rehearsal's
 *    kept as peers/clamp-lib-previous, which the message names).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CLAMP_GOAL, CLAMP_LIB_FILES, EXPECTED_TICKS, scenario } from '../fixtures/projects/clamp-lib.ts';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, uid, removeRunLeftovers, podKeyIn } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(300_000);

let root: string;
let repo: string;
let upstream: string;
let env: Record<string, string>;
let key = '';
let stateDir = '';

const sh = (argv: string[], extra: Record<string, string> = {}, timeoutMs = 240_000) => asUser(argv, { cwd: repo, env: { ...env, ...extra }, timeoutMs });
const peers = (args: string[], timeoutMs = 240_000) => sh([PEERS_BIN, ...args], {}, timeoutMs);
const git = (args: string[]) => sh(['git', ...args]).stdout.trim();
const cname = (role: string) => `peers-${key}-${role}`;
type TickLine = { event: string; tick: number; peer: string; skeptic: boolean; success: boolean; cause: string | null };
const tickLines = (dir: string): TickLine[] => readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'tick');

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  root = mkdtempSync('/var/tmp/peers-e2e-new-user-');
  repo = join(root, 'clamp-lib');
  // The project as it was published: the user works in a shallow clone of it (`git clone --depth 1`).
  upstream = join(root, 'clamp-lib-upstream');
  mkdirSync(join(upstream, 'test'), { recursive: true });
  for (const [file, text] of Object.entries(CLAMP_LIB_FILES)) writeFileSync(join(upstream, file), text);
  writeFileSync(join(root, 'rehearsal.yaml'), stringify(scenario));
  spawnChown(root);
  // The user's shell: their own state and config dirs, API keys set (a rehearsal must not use
  // them), no git identity anywhere and git not allowed to guess one.
  env = {
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_STATE_HOME: join(root, 'state'),
    ANTHROPIC_API_KEY: 'sk-ant-users-real-key-never-in-the-pod',
    OPENAI_API_KEY: 'sk-users-real-openai-key-never-in-the-pod',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'user.useConfigOnly',
    GIT_CONFIG_VALUE_0: 'true',
    NO_COLOR: '1',
  };
}, 20 * 60_000);

function spawnChown(dir: string): void {
  const r = Bun.spawnSync(['chown', '-R', `${uid()}:${uid()}`, dir]);
  if (r.exitCode !== 0) throw new Error(`chown ${dir} failed`);
}

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a new user rehearses their own configuration in the pod', () => {
  test('init proposes the gates, verify is green, and `up --rehearse` takes the real CLIs to complete with no identity anywhere', () => {
    // The published project: two commits (an identity for those commands only, in no config).
    const author = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
    const inUpstream = (argv: string[], extra: Record<string, string> = {}) => asUser(argv, { cwd: upstream, env: { ...env, ...extra } }).code;
    expect(inUpstream(['git', 'init', '-q', '-b', 'main'])).toBe(0);
    expect(inUpstream(['git', 'add', '-A'])).toBe(0);
    expect(inUpstream(['git', 'commit', '-q', '-m', 'sum()'], author)).toBe(0);
    expect(inUpstream(['git', 'commit', '-q', '--allow-empty', '-m', 'Release 1.0'], author)).toBe(0);
    // The user's repository: a shallow clone of it, HEAD's parent missing (its history is grafted).
    expect(asUser(['git', 'clone', '-q', '--depth', '1', `file://${upstream}`, repo], { cwd: root, env }).code).toBe(0);
    expect(git(['rev-parse', '--is-shallow-repository'])).toBe('true');
    expect(sh(['git', 'commit', '--allow-empty', '-q', '-m', 'x']).code).not.toBe(0); // truly no identity

    const init = peers(['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Found a node project; proposed:\n  gate tests-pass: npm test');
    const verify = peers(['verify']);
    expect(verify.stdout).toContain('Result: PASS (hard 3/3');
    expect(verify.code).toBe(0);

    // The user's edit: their feature as a hard goal, the template's review rounds dropped. The
    // peers stay exactly as `init` wrote them: the rehearsal points them at the scripted server.
    const goalsPath = join(repo, '.peers', 'goals.yaml');
    const goals = parse(readFileSync(goalsPath, 'utf8')) as { goals: Array<Record<string, unknown>> };
    goals.goals = [...goals.goals.filter((g) => g.type === 'hard'), CLAMP_GOAL];
    writeFileSync(goalsPath, stringify(goals));
    spawnChown(join(repo, '.peers'));
    const config = parse(readFileSync(join(repo, '.peers', 'config.yaml'), 'utf8')) as { peers: Array<{ name: string; argv: string[]; env?: unknown }> };
    expect(config.peers.map((p) => [p.name, p.argv[0], p.env])).toEqual([['claude', 'claude', undefined], ['codex', 'codex', undefined]]);

    const t0 = Date.now();
    const up = peers(['up', '--rehearse', join(root, 'rehearsal.yaml'), '--attach'], 290_000);
    console.log(`e2e: peers up --rehearse --attach to complete took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    key = podKeyIn(up.stderr) ?? '';
    stateDir = join(root, 'state', 'peers', key);
    if (up.code !== 0) console.error(up.stdout.slice(-6000), up.stderr.slice(-3000));
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('is rehearsing (scripted model server, nothing billed)');
    expect(up.stdout).toContain('the run stopped: complete');
    // The convergence check, said once (the loop's lines, on stdout): the line before it names the test files it ran with.
    expect(up.stdout).toMatch(/peers: converging at \w{8}: running the gates with the test files the run started with\npeers: green on \w{12}, with the test files the run started with, running as many tests as at the start\n/);
    // Before the first tick the branch is the user's HEAD: nothing to merge yet.
    expect(up.stderr).toMatch(/results: branch peers\/clamp-lib at \w{10} \(no commits by the run yet\)\n/);
    expect(tickLines(stateDir).map((t) => [t.peer, t.skeptic, t.success, t.cause])).toEqual(EXPECTED_TICKS.map(([p, s]) => [p, s, true, null]));
    // Every request reached the scripted server and got a scripted reply.
    const served = readFileSync(join(stateDir, 'rehearsal', 'served.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; peer?: string });
    expect(served.filter((r) => r.kind === 'reply').length).toBeGreaterThan(10);
    expect(served.filter((r) => r.kind !== 'reply' && r.kind !== 'auxiliary')).toEqual([]);
    // The work came back as the results branch, committed under the documented default identity.
    expect(git(['log', '--format=%an <%ae>|%cn <%ce>', 'main..peers/clamp-lib']).split('\n').reverse()).toEqual(
      EXPECTED_TICKS.map(([p]) => `${p} (peers) <${p}@peers.invalid>|${p} (peers) <${p}@peers.invalid>`),
    );
    expect(git(['show', 'peers/clamp-lib:test/clamp-edges.test.js'])).toContain('min above max is refused');
    expect(existsSync(join(repo, 'test', 'clamp.test.js'))).toBe(false); // the user's tree is untouched
    expect(git(['config', '--get', 'user.email'])).toBe('');
  });

  test('nothing of the user\'s credentials entered the pod, and no vendor host was reachable from it', () => {
    const authEnv = podmanAsUser(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', cname('auth')]).stdout;
    expect(authEnv).not.toMatch(/API_KEY|AUTH_TOKEN/);
    const egressCmd = podmanAsUser(['inspect', '--format', '{{json .Config.Cmd}}', cname('egress')]).stdout;
    expect(egressCmd).toContain('--no-vendor-hosts');
    const audit = join(stateDir, 'sidecars', 'egress', 'egress.jsonl');
    const allowed = existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter((l) => /"allowed":true|"decision":"allow"/.test(l)) : [];
    expect(allowed).toEqual([]);
  });

  test('a real `up` does not continue the rehearsal; `up --fresh --rehearse` archives it and starts over from HEAD', () => {
    const real = peers(['up']);
    expect(real.code).toBe(2);
    expect(real.stderr).toContain('the run here was a rehearsal (the scripted model server); a real run does not continue it');
    expect(real.stderr).toMatch(/peers up (\S+ )?--fresh/);
    const rehearsed = git(['rev-parse', 'peers/clamp-lib']);
    const fresh = peers(['up', '--fresh', '--rehearse', join(root, 'rehearsal.yaml')]);
    expect(fresh.code, `${fresh.stdout}\n${fresh.stderr}`).toBe(0);
    const archived = fresh.stdout.match(/archived the old run \(complete, tick 5, \$[\d.]+ \(rehearsal, not billed\)\) to (\S+)/);
    expect(archived, fresh.stdout).not.toBeNull();
    // The rehearsal's results are kept as a branch of their own, named in the output.
    expect(fresh.stdout).toContain(`its results: peers/clamp-lib at ${rehearsed.slice(0, 10)}, kept as branch peers/clamp-lib-previous (\`git log peers/clamp-lib-previous\`); the new run publishes to peers/clamp-lib`);
    expect(git(['rev-parse', 'peers/clamp-lib-previous'])).toBe(rehearsed);
    expect(tickLines(archived![1]!).length).toBe(5);
    // Started over from the user's HEAD: a new clone at main, the branch back at main, no tick yet carried over.
    const main = git(['rev-parse', 'main']);
    expect(sh(['git', '-C', join(stateDir, 'run', 'clone'), 'rev-parse', 'HEAD']).stdout.trim()).toBe(main);
    expect(git(['rev-parse', 'peers/clamp-lib'])).toBe(main);
    expect(existsSync(join(stateDir, 'runs.jsonl')) ? tickLines(stateDir).every((t) => t.tick === 1) : true).toBe(true);
    const down = peers(['down']);
    expect(down.code, down.stderr).toBe(0);
  });
});
