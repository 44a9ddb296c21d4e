/**
 * More commands run in this process (see commands-in-process.test.ts for the first ones): each gets
 * its output streams, environment and working directory handed to it, so what it prints, the files
 * it writes and its exit code are checked without spawning the binary. Fixtures: the project
 * `peers init` writes in a scratch HOME with no git identity, and a finished host loop run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Project } from '../loop/harness.ts';
import { runInProcess } from './in-process.ts';
import { inProcessFixture, type InProcessFixture } from './in-process-fixture.ts';
import { gitIn, makeRepo } from './peers-cli.ts';

let fx: InProcessFixture;
let run: Project;
beforeAll(async () => {
  fx = await inProcessFixture();
  run = fx.run;
}, 60_000);
afterAll(() => fx?.cleanup());

const peers = (argv: string[], cwd?: string) => fx.peers(argv, cwd);
/** `peers <argv>` on the finished host run: its state dir is the one PEERS_STATE_DIR names. */
const onRun = (argv: string[]) => runInProcess(argv, { env: { ...fx.env, PEERS_STATE_DIR: run.stateDir }, cwd: run.repo });

describe('logs', () => {
  test("the loop's saved output from the state dir: each line to the stream it was written to, partial lines joined", async () => {
    // loop.log as podman writes it (k8s-file): `<time> <stream> <F|P> <text>`, P a partial line.
    writeFileSync(
      join(run.stateDir, 'loop.log'),
      ['2026-12-05T11:00:00.000000000+00:00 stderr F peers: tick 1 peer=alice starting...', '2026-12-05T11:00:01.000000000+00:00 stdout P Stopped: ', '2026-12-05T11:00:01.000000001+00:00 stdout F max_ticks', ''].join('\n'),
    );
    const r = await onRun(['logs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Stopped: max_ticks\n');
    expect(r.stderr).toBe('peers: tick 1 peer=alice starting...\n');
  });

  test("--peer NAME: that peer's turn output, one header per tick; --since tick:N from that tick on", async () => {
    const r = await onRun(['logs', '--peer', 'alice']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith('==> tick 1 (alice) <==\nworking step 1\nworking step 2\n');
    expect(r.stdout).toContain('working step 8\n');
    // bob's turn printed nothing, and alice's output is not his.
    expect((await onRun(['logs', '--peer', 'bob'])).stdout).toBe('');
    expect((await onRun(['logs', '--peer', 'alice', '--since', 'tick:2'])).stdout).toBe('');
  });

  test('--peer of a peer the run does not have, or a --since that is no time: exit 2, nothing on stdout', async () => {
    const ghost = await onRun(['logs', '--peer', 'carol']);
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toBe("peers: no peer named 'carol' in this run\n  hint: its peers: alice, bob\n");
    const since = await onRun(['logs', '--peer', 'alice', '--since', 'yesterdayish']);
    expect(since.code).toBe(2);
    expect(since.stdout).toBe('');
    expect(since.stderr).toStartWith('peers: --since "yesterdayish" is not a duration, a date or a tick\n');
  });
});

describe('replay', () => {
  test('a logged tick: its line and the prompt the peer was given; --json the same', async () => {
    const r = await peers(['replay', '1', run.repo, '--state-dir', 'state'], run.root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith('Tick 1 — peer alice (custom) at ');
    expect(r.stdout).toContain('result: handoff · success · exit 0');
    const prompt = join(run.stateDir, 'prompts/tick-00001-alice.txt');
    expect(r.stdout).toContain(`--- prompt (${prompt}) ---\n${readFileSync(prompt, 'utf8')}`);
    expect(r.stdout).toEndWith('--- end of prompt ---\n');
    const j = JSON.parse((await onRun(['replay', '2', '--json'])).stdout);
    expect(j.tick).toMatchObject({ tick: 2, peer: 'bob', success: true });
    expect(j.prompt).toStartWith("You are peer 'bob'.");
  });

  test('a tick that was never logged: exit 2 with how many were', async () => {
    const r = await onRun(['replay', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`peers: no tick 9 in ${join(run.stateDir, 'runs.jsonl')} (2 tick line(s) logged)\n  hint: peers status shows the current tick\n`);
  });
});


describe('check', () => {
  test('a known check on the freshly init\'d project passes; its report on stdout', async () => {
    const r = await peers(['check', 'no-secrets']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('no-secrets: clean\n');
    expect(JSON.parse((await peers(['check', 'no-secrets', '--json'])).stdout)).toEqual({ schema_version: 1, id: 'no-secrets', pass: true, report: 'no-secrets: clean' });
  });

  test('a secret in the working tree fails it: the report on stderr, exit 1', async () => {
    const leak = join(fx.repo, 'deploy.env');
    writeFileSync(leak, 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL3\n');
    try {
      const r = await peers(['check', 'no-secrets']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toStartWith('no-secrets: 1 finding(s)');
      expect(r.stderr).toContain('  deploy.env:1: AWS access key id\n');
    } finally {
      rmSync(leak);
    }
  });

  test('an unknown id: exit 2, with the ids there are', async () => {
    const r = await peers(['check', 'constructor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith('peers: unknown check "constructor"\n  hint: available checks: api-stable, ');
    expect(r.stderr).toContain('no-secrets');
  });
});

describe('pause and resume with no run running', () => {
  test('pause: saved in the operator control file of the injected state home, applied when the run resumes', async () => {
    const r = await peers(['pause', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('paused codex\n  the run is not running: it applies when the run resumes\n  paused now: codex; resume with: peers resume codex\n');
    const again = JSON.parse((await peers(['pause', 'codex', '--json'])).stdout);
    expect(again).toMatchObject({ changed: [], paused: ['codex'], running: false });
    expect(again.control).toStartWith(join(fx.sb.home, '.local/state/peers/proj-'));
    expect(Object.keys(JSON.parse(readFileSync(again.control, 'utf8')).paused)).toEqual(['codex']);
  });

  test('resume: the peer is taken off the list; resuming it twice says so', async () => {
    const r = await peers(['resume', 'codex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('resumed codex\n  paused now: none\n');
    expect((await peers(['resume', 'codex'])).stdout).toBe('codex was not paused\n  paused now: none\n');
  });

  test('a peer the project does not have: exit 2 with its peers', async () => {
    const r = await peers(['pause', 'zed']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('peers: peers pause zed: no such peer (peers: claude, codex)\n  hint: pass a peer name from .peers/config.yaml, or all\n');
  });
});

describe('review and down of a project that is not running', () => {
  test('review: no handoff and no review yet; the state dir is the injected one', async () => {
    const r = await peers(['review']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('No self-reviewed handoff yet.\n\nNo review commits yet.\n');
    const j = JSON.parse((await peers(['review', '--json'])).stdout);
    expect(j).toMatchObject({ handoff: null, reviews: [] });
    expect(j.state_dir).toStartWith(join(fx.sb.home, '.local/state/peers/proj-'));
  });

  test("review of the finished run: bob's handoff is the latest, attested, with its self-review", async () => {
    const r = await onRun(['review']);
    expect(r.code, r.stderr).toBe(0);
    const head = gitIn(run.repo, ['rev-parse', 'HEAD']);
    expect(r.stdout).toStartWith(`Latest handoff ${head.slice(0, 8)} by bob: work by bob\n  Re-read the diff; nothing left out.\n`);
  });

  test('down: nothing was running, nothing left behind; exit 0; the injected registry records the down', async () => {
    const registry = () => JSON.parse(readFileSync(join(fx.sb.home, '.config/peers/projects.json'), 'utf8')).projects.find((p: { path: string }) => p.path === fx.repo);
    expect(registry().last_down_at).toBeUndefined();
    const r = await peers(['down']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${fx.repo} was not running; nothing left behind\n  your repository: no fingerprint from \`peers up\` to compare with\n`);
    const j = JSON.parse((await peers(['down', '--json'])).stdout);
    expect(j).toMatchObject({ was_running: false, path: fx.repo });
    expect(Date.parse(registry().last_down_at)).toBeGreaterThan(Date.now() - 60_000);
  });
});
