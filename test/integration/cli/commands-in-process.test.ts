/**
 * The commands run in this process, not by spawning the binary: their output streams, environment,
 * working directory and stop signals are handed to them (src/cli/command-io.ts), and their exit
 * code comes from the one mapping the binary uses (src/cli/report-error.ts). The project is the one
 * `peers init` writes, in a scratch HOME with no git identity.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUsdCap } from '../../../commands/run-flags.ts';
import { makeProject, type Project } from '../loop/harness.ts';
import { Captured, runInProcess } from './in-process.ts';
import { inProcessFixture, type InProcessFixture } from './in-process-fixture.ts';
import type { Sandbox } from './peers-cli.ts';

let fx: InProcessFixture;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let repo: string;
let run: Project;
const peers = (argv: string[], cwd = repo) => fx.peers(argv, cwd);

beforeAll(async () => {
  fx = await inProcessFixture();
  ({ sb, env, repo, run } = fx);
}, 60_000);
afterAll(() => fx?.cleanup());

describe('--max-usd: one flag, one parser, one set of bounds', () => {
  const commands = [['up', repo], ['loop', repo], ['sidecar', 'auth']] as const;
  for (const bad of ['0', '-1', 'abc', '', 'NaN', '1e309', '0x']) {
    test(`--max-usd '${bad}': exit 2 with the same message from up, loop and sidecar auth, before anything runs`, async () => {
      const results = await Promise.all(commands.map((c) => peers([...c.filter(Boolean), '--max-usd', bad])));
      for (const r of results) {
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(`peers: --max-usd must be a positive number of US dollars, got ${bad}\n  hint: e.g. --max-usd 5\n`);
      }
    });
  }

  test('a positive amount is the cap, in dollars', () => {
    expect(parseUsdCap('5')).toBe(5);
    expect(parseUsdCap('0.25')).toBe(0.25);
    expect(() => parseUsdCap(' ')).toThrow('--max-usd must be a positive number');
    expect(parseUsdCap('.5')).toBe(0.5);
    expect(parseUsdCap('10.')).toBe(10);
    // What Number() reads but no one means by an amount of dollars.
    for (const odd of ['0x10', '1e3', 'Infinity', '0b11', '5,00', '$5', '-1', '0']) expect(() => parseUsdCap(odd)).toThrow('--max-usd must be a positive number');
  });

  test('--max-tokens 0 is refused the same way by loop and sidecar auth (both took it differently before)', async () => {
    const [l, s] = await Promise.all([peers(['loop', repo, '--max-tokens', '0']), peers(['sidecar', 'auth', '--max-tokens', '0'])]);
    expect(l.code).toBe(2);
    expect(s.code).toBe(2);
    // The same words, each naming its own command.
    const refusal = (command: string) => `peers: --max-tokens for '${command}': expected an integer greater than or equal to 1 but received: 0 (see \`peers ${command} --help\`)\n`;
    expect(l.stderr).toBe(refusal('loop'));
    expect(s.stderr).toBe(refusal('sidecar auth'));
  });
});

describe('read-only commands in process', () => {
  test('status: the project is the injected working directory; a relative path is taken from it', async () => {
    const here = await peers(['status', '--json']);
    expect(here.code, here.stderr).toBe(0);
    const view = JSON.parse(here.stdout);
    expect(view.schema_version).toBe(1);
    expect(view.path).toBe(repo);
    expect(view.status).toBe('fresh');
    // The state dir follows the injected XDG_STATE_HOME.
    expect(view.state_dir).toStartWith(join(sb.home, '.local/state/peers/proj-'));
    // `proj` exists in sb.root (the injected cwd), not in this process's own directory.
    const relative = await peers(['status', 'proj'], sb.root);
    expect(relative.code, relative.stderr).toBe(0);
    expect(relative.stdout).toContain('fresh');
  });

  test('status of a directory that is not a project: exit 2, the error as JSON on stdout and one line on stderr', async () => {
    const r = await peers(['status', sb.home, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ schema_version: 1, error: { message: `${sb.home} is not a git repository`, exit_code: 2, location: { file: sb.home }, hint: expect.any(String) } });
    expect(r.stderr).toStartWith(`peers: ${sb.home} is not a git repository\n`); // the path said once
  });

  test('info: the resolved configuration, with the budget as peers up would decide it from the injected environment', async () => {
    const r = await peers(['info', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.repo).toBe(repo);
    expect(info.peers.map((p: { name: string }) => p.name)).toEqual(['claude', 'codex']);
    expect(info.usd_cap).toEqual({ mode: 'hard', reason: 'auto: claude, codex bill through an API key', max_usd: 50, source: 'as peers up would decide it (API keys)' });
    const text = await peers(['info']);
    expect(text.stdout).toStartWith(`repo:    ${repo}\nconfig:  ${repo}/.peers/config.yaml\n`);
    expect(text.stdout).toContain('max_usd_mode=hard (auto: claude, codex bill through an API key) — as peers up would decide it (API keys)');
  });

  test('ls: the registry of the injected HOME (init registered the project), not the developer\'s', async () => {
    const r = await peers(['ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).projects.map((p: { path: string }) => p.path)).toEqual([repo]);
    const empty = await runInProcess(['ls'], { env: { ...env, XDG_CONFIG_HOME: join(sb.root, 'nobody'), XDG_STATE_HOME: join(sb.root, 'nobody') }, cwd: repo });
    expect(empty.stdout).toBe('no projects yet: run `peers init` then `peers up` in a repository\n');
  });

  test('bugs: the ledger of the repository, empty', async () => {
    const r = await peers(['bugs', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reports: [], warnings: [] });
    expect((await peers(['bugs'])).stdout).toBe('bug-hunt: 0 blocking open (crit=0 high=0 med=0 low=0 info=0); 0 total reported, 0 fixed, 0 deferred, 0 have reproduce-tests\n');
  });

  test('modes list: every mode, colour only on a terminal that takes it', async () => {
    const r = await peers(['modes', 'list']);
    expect(r.stdout).toStartWith('MODE       WHAT IT DOES\n');
    expect(r.stdout).toContain('audit');
    const tty = new Captured(true);
    await runInProcess(['modes', 'list'], { env: { ...env, NO_COLOR: '' }, cwd: repo, stdout: tty });
    expect(tty.text).toStartWith('\u001b[1mMODE');
    const json = JSON.parse((await peers(['modes', 'list', '--json'])).stdout);
    expect(json.modes.map((m: { name: string }) => m.name)).toContain('implement');
  });

  test('schema: a JSON Schema on stdout; an unknown name is exit 2 with the names', async () => {
    const r = await peers(['schema', 'status']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).type).toBe('object');
    const bad = await peers(['schema', 'stauts']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("peers: no schema named 'stauts'. Did you mean 'status'?\n");
  });

  test('report: the run summarised from its state dir, printed and saved', async () => {
    const r = await peers(['report', run.repo, '--state-dir', run.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(run.stateDir, 'REPORT.md'), 'utf8'));
    const json = JSON.parse((await peers(['report', run.repo, '--state-dir', run.stateDir, '--json'])).stdout);
    expect(json.ticks).toBe(2);
    expect(json.report_path).toBe(join(run.stateDir, 'REPORT.md'));
  });
});

describe('one error path: a command that fails by its result', () => {
  const goals = () => join(repo, '.peers/goals.yaml');

  test('verify with a red goal: the table on stdout, exit 1, no extra error line; --json is the full report', async () => {
    // `peers init` writes a placeholder goal (`false`) the user must replace.
    const r = await peers(['verify']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('placeholder-replace-me');
    expect(r.stdout).toContain(`Wrote ${join(repo, '.peers/VERIFY.md')}`);
    expect(r.stderr).toBe('');
    const j = await peers(['verify', '--json']);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.error).toBeUndefined();
    expect(doc.hard.find((g: { id: string }) => g.id === 'placeholder-replace-me').state).toBe('fail');
  }, 60_000);

  test('verify with every goal green: exit 0', async () => {
    const original = readFileSync(goals(), 'utf8');
    try {
      writeFileSync(goals(), original.replace(/cmd: "?false"?/, 'cmd: "true"'));
      const r = await peers(['verify', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).ok).toBe(true);
    } finally {
      writeFileSync(goals(), original);
    }
  }, 60_000);
});

describe('stop signals are injected', () => {
  test('loop: ends with the run\'s own exit code (max_ticks: 0); the injected SIGTERM interrupts it (exit 1)', async () => {
    const p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    const q = makeProject({ peers: { alice: 'silent', bob: 'silent' } });
    try {
      const done = await runInProcess(['loop', p.repo, '--state-dir', p.stateDir, '--max-ticks', '1'], { env, cwd: p.root });
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toBe('Stopped: max_ticks\n');
      expect(done.stderr).toContain('peers: tick 1 peer=alice starting...');
      const signals = new EventEmitter();
      const running = runInProcess(['loop', 'repo', '--state-dir', 'state'], { env, cwd: q.root, signals });
      while (signals.listenerCount('SIGTERM') === 0) await new Promise((r) => setImmediate(r));
      signals.emit('SIGTERM');
      const stopped = await running;
      expect(stopped.stdout).toBe('Stopped: interrupted\n');
      expect(stopped.code).toBe(1);
      // The run's own lines on stderr, and no error line: the exit code is the outcome's.
      expect(stopped.stderr).toEndWith('peers: stopped: interrupted\n');
      expect(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGINT')).toBe(0);
    } finally {
      p.cleanup();
      q.cleanup();
    }
  }, 60_000);

  test('k8s hold waits until its signal source says SIGTERM, then exits 0', async () => {
    const signals = new EventEmitter();
    let ended = false;
    const held = runInProcess(['k8s', 'hold'], { env, cwd: repo, signals }).then((r) => ((ended = true), r));
    while (signals.listenerCount('SIGTERM') === 0) await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
    signals.emit('SIGTERM');
    expect((await held).code).toBe(0);
    expect(signals.listenerCount('SIGINT')).toBe(0);
  });
});
