/**
 * Every failed tick carries a one-line cause drawn from what happened (src/loop/failure-cause.ts),
 * and the user finds it where they look: the loop's console line (what `peers logs` shows),
 * runs.jsonl, state.json, `peers status` (text and --json), `peers replay` and `peers report`.
 * Fake peers stand in for the CLIs; the real claude and codex are real-cli/failure-causes.test.ts.
 * The loop and the peers run with no git identity anywhere: a HOME without .gitconfig, no system
 * config, and user.useConfigOnly so git cannot guess one from the host name.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mdCell } from '../../../src/cli/inert-markdown.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { REPO_ROOT, loop, makeProject, state, stopReason, ticks, type Project, type ProjectSpec } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

/** What a machine with no git identity looks like to the loop and its peers. */
function noIdentityEnv(root: string): NodeJS.ProcessEnv {
  const home = join(root, 'empty-home');
  mkdirSync(home, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'user.useConfigOnly',
    GIT_CONFIG_VALUE_0: 'true',
    LANG: 'C',
  };
}

async function oneFailedTick(spec: ProjectSpec, health: Record<string, unknown> = {}) {
  p = makeProject({ ...spec, health: { max_retries: 0, ...health } });
  const console: string[] = [];
  await loop(p, { maxTicks: 1, env: noIdentityEnv(p.root), log: (l) => console.push(l) });
  const [t] = ticks(p);
  return { tick: t!, console, health: state(p).peers[t!.peer as string]! };
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const child = Bun.spawn([process.execPath, join(REPO_ROOT, 'src/main.ts'), ...args], { stdout: 'pipe', stderr: 'pipe' });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  return { code, out };
}

describe('no git identity anywhere', () => {
  test('peers that commit with plain `git commit` hand off, as "<peer> (peers)" <peer@peers.invalid>', async () => {
    p = makeProject({ peers: { alice: 'plain-git-handoff', bob: 'plain-git-handoff' } });
    const out = await loop(p, { maxTicks: 2, env: noIdentityEnv(p.root), log: () => {} });
    expect(out.reason).toBe('max_ticks');
    expect(ticks(p).map((t) => [t.peer, t.success, t.cause])).toEqual([['alice', true, null], ['bob', true, null]]);
    expect(gitOk(p.repo, ['log', '-2', '--format=%an <%ae> | %cn <%ce>']).trim().split('\n')).toEqual([
      'bob (peers) <bob@peers.invalid> | bob (peers) <bob@peers.invalid>',
      'alice (peers) <alice@peers.invalid> | alice (peers) <alice@peers.invalid>',
    ]);
  });

  test("a peer that rewrites the repository's git identity config cannot break or spoof the next peer's commits", async () => {
    p = makeProject({ peers: { mallory: 'breaks-identity', bob: 'plain-git-handoff' } });
    await loop(p, { maxTicks: 2, env: noIdentityEnv(p.root), log: () => {} });
    expect(gitOk(p.repo, ['config', '--local', '--get', 'author.email']).trim()).toBe('spoof@evil.invalid');
    expect(ticks(p).map((t) => [t.peer, t.success])).toEqual([['mallory', true], ['bob', true]]);
    expect(gitOk(p.repo, ['log', '-1', '--format=%an <%ae> | %cn <%ce>']).trim()).toBe('bob (peers) <bob@peers.invalid> | bob (peers) <bob@peers.invalid>');
  });

  test("git_author in config.yaml and the user's identity handed to the loop", async () => {
    p = makeProject({ peers: { alice: 'plain-git-handoff', bob: 'plain-git-handoff' }, peerExtra: { alice: { git_author: { name: 'alice (peers)' } } } });
    const env = { ...noIdentityEnv(p.root), PEERS_GIT_USER_NAME: 'Ada Lovelace', PEERS_GIT_USER_EMAIL: 'ada@example.com' };
    await loop(p, { maxTicks: 2, env, log: () => {} });
    expect(gitOk(p.repo, ['log', '-2', '--format=%an <%ae>']).trim().split('\n')).toEqual(['Ada Lovelace <ada@example.com>', 'alice (peers) <ada@example.com>']);
  });
});

describe('the cause of each failure, in runs.jsonl, state.json and the console line', () => {
  const cases: { name: string; spec: ProjectSpec; health?: Record<string, unknown>; cause: string | RegExp }[] = [
    { name: 'git cannot commit without an identity', spec: { peers: { alice: 'drops-identity', bob: 'always-handoff' } }, cause: /^git: no identity \(/ },
    { name: 'the CLI is not installed', spec: { peers: { alice: 'always-handoff', bob: 'always-handoff' }, peerExtra: { alice: { argv: ['no-such-peer-cli'] } } }, cause: 'no-such-peer-cli: command not found (exit 127)' },
    { name: 'the CLI crashes', spec: { peers: { alice: 'crash', bob: 'always-handoff' } }, cause: 'sh exited 3: segmentation fault (core dumped)' },
    { name: 'the credentials are rejected', spec: { peers: { alice: 'auth-failure', bob: 'always-handoff' } }, cause: 'invalid API key (authentication failed)' },
    { name: 'the provider rate-limits', spec: { peers: { alice: 'rate-limited', bob: 'always-handoff' } }, cause: 'rate limited: Error: rate_limit_exceeded (429): please retry later' },
    { name: 'the CLI goes silent', spec: { peers: { alice: 'silent', bob: 'always-handoff' } }, health: { idle_timeout_s: 1 }, cause: 'no output for 1s: stopped (health.idle_timeout_s)' },
    { name: 'the peer commits without the handoff trailers', spec: { peers: { alice: 'wrong-trailer', bob: 'always-handoff' } }, cause: /^productive commit\(s\) this turn but no Peer-Status: handoff/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const { tick, console, health } = await oneFailedTick(c.spec, c.health);
      expect(tick.success).toBe(false);
      if (typeof c.cause === 'string') expect(tick.cause).toBe(c.cause);
      else expect(tick.cause as string).toMatch(c.cause);
      expect(health.last_failure).toEqual({ tick: 1, cause: tick.cause as string });
      expect(console.find((l) => l.startsWith('peers: tick 1 ') && !l.endsWith('starting...'))).toEndWith(` -- ${tick.cause}`);
    });
  }
});

test('status (text and --json), replay and report show the cause', async () => {
  p = makeProject({ peers: { alice: 'drops-identity', bob: 'crash' }, health: { max_retries: 0 } });
  await loop(p, { maxTicks: 2, env: noIdentityEnv(p.root), log: () => {} });
  expect(stopReason(p)).toBe('max_ticks');
  const identity = ticks(p)[0]!.cause as string;
  expect(identity).toStartWith('git: no identity');

  const text = await cli(['status', p.repo, '--state-dir', p.stateDir]);
  expect(text.out).toContain(`    last failure (tick 1): ${identity}`);
  expect(text.out).toContain('    last failure (tick 2): sh exited 3: segmentation fault (core dumped)');
  const json = JSON.parse((await cli(['status', p.repo, '--state-dir', p.stateDir, '--json'])).out);
  expect(json.peers.alice.last_failure).toEqual({ tick: 1, cause: identity });
  expect(json.peers.bob.last_failure).toEqual({ tick: 2, cause: 'sh exited 3: segmentation fault (core dumped)' });

  expect((await cli(['replay', '1', p.repo, '--state-dir', p.stateDir])).out).toContain(`cause: ${identity}`);

  const report = await cli(['report', p.repo, '--state-dir', p.stateDir]);
  expect(report.out).toContain('## Why ticks failed');
  // A cause is the peer's CLI speaking: inert in the report (src/cli/inert-markdown.ts).
  expect(report.out).toContain(`| ${mdCell(identity, 240)} | 1 | alice | 1 |`);
  expect(report.out).toMatch(/\| 2 \| bob \| failed \| process-fail \|[^\n]*\| sh exited 3: segmentation fault \(core dumped\) \|/);
  const reportJson = JSON.parse((await cli(['report', p.repo, '--state-dir', p.stateDir, '--json'])).out);
  expect(reportJson.status.peers.alice.last_failure.cause).toBe(identity);
});
