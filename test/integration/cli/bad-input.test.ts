/**
 * Each input that used to end in exit 70 "internal error" (found by fuzzing the CLI) is a
 * clear message naming what is wrong, with exit 2. The fuzz test (test/fuzz) covers the space;
 * these are the named regressions, each with the message a user sees.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loop, makeProject, type Project } from '../loop/harness.ts';
import { makeRepo, makeSandbox, runPeers, runPeersAsync, STACK_LINE, type CliResult } from './peers-cli.ts';

const sb = makeSandbox();
let plainRepo: string;
let p: Project;
let state: (file: string) => string;
beforeAll(async () => {
  plainRepo = makeRepo(sb.root, 'plain-repo');
  p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
  await loop(p, { maxTicks: 2 });
  state = (file) => join(p.stateDir, file);
}, 60_000);
afterAll(() => {
  sb.cleanup();
  p?.cleanup();
});

function refused(res: CliResult, message: string | RegExp): void {
  expect(res.stderr).not.toContain('internal error');
  expect(res.stderr).not.toMatch(STACK_LINE);
  if (typeof message === 'string') expect(res.stderr).toContain(message);
  else expect(res.stderr).toMatch(message);
  expect(res.code).toBe(2);
}

/** Runs `fn` with `file` of the run's state dir replaced, then puts the original back. */
function withBroken(file: string, breakIt: (path: string) => void, fn: () => void): void {
  const path = state(file);
  const original = readFileSync(path);
  try {
    rmSync(path, { recursive: true, force: true });
    breakIt(path);
    fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
    writeFileSync(path, original);
  }
}

const inState = (args: string[], env: Record<string, string> = {}) => runPeers([...args, '--state-dir', p.stateDir], { cwd: p.repo, env: { ...sb.env, ...env } });

describe('arguments and flags', () => {
  test('replay abc and replay 0: the tick argument is named, exit 2', () => {
    refused(runPeers(['replay', 'abc'], { cwd: plainRepo, env: sb.env }), "peers: TICK must be a tick number (1, 2, …), got 'abc' for 'replay' (see `peers replay --help`)\n");
    refused(runPeers(['replay', '0'], { cwd: plainRepo, env: sb.env }), "TICK must be a tick number (1, 2, …), got '0'");
  });

  test('a path that is missing, a file or a device is named as such, before any git runs in it', () => {
    const missing = join(sb.root, 'no-such-dir');
    refused(runPeers(['bugs', missing], { cwd: plainRepo, env: sb.env }), `peers: ${missing} does not exist\n`); // the path said once
    refused(runPeers(['check', 'bug-hunt-clean', missing], { cwd: plainRepo, env: sb.env }), `${missing} does not exist`);
    refused(runPeers(['info', '-C', '/dev/zero'], { cwd: plainRepo, env: sb.env }), '/dev/zero is not a directory');
    const file = join(sb.root, 'a-file.txt');
    writeFileSync(file, 'x\n');
    refused(runPeers(['up', file], { cwd: plainRepo, env: sb.env }), `${file} is not a directory`);
    // `peers new NAME DIR` with DIR a file, or inside one (was exit 70, ENOTDIR).
    refused(runPeers(['new', 'x', file], { cwd: plainRepo, env: sb.env }), `${file} is not a directory`);
    refused(runPeers(['new', 'x', join(file, 'sub')], { cwd: plainRepo, env: sb.env }), `${file} is not a directory`);
  });

  test('an empty project or -C (a script\'s unset variable) is refused, never taken as the current directory\'s project', async () => {
    // `peers reset "$PROJECT"` with PROJECT unset archived the run of whatever project the script stood in.
    const cases: [string[], string][] = [
      [['reset', ''], 'the project argument is empty'], [['down', ' '], 'the project argument is empty'], [['init', ''], 'the project argument is empty'],
      [['rm', ''], 'the project argument is empty'], [['verify', '-C', ''], '-C is empty'], [['status', '--dir='], '-C is empty'],
    ];
    const runs = await Promise.all(cases.map(([args]) => runPeersAsync(args, { cwd: plainRepo, env: sb.env })));
    runs.forEach((res, i) => refused(res, cases[i]![1]));
    expect(existsSync(join(plainRepo, '.peers'))).toBe(false);
  });

  test('status outside a git repository is an error, not "fresh … all green"', () => {
    const res = runPeers(['status'], { cwd: sb.home, env: sb.env });
    refused(res, `${sb.home} is not a git repository`);
    expect(res.stdout).not.toContain('fresh');
  });

  test('status, report, logs or down in a new terminal (the home directory) with projects registered: it names them and `peers ls`, not "git init"', () => {
    const own = makeSandbox();
    try {
      for (const name of ['web-app', 'billing']) expect(runPeers(['init'], { cwd: makeRepo(own.root, name), env: own.env }).code).toBe(0);
      for (const command of ['status', 'report', 'logs', 'down']) {
        const res = runPeers([command], { cwd: own.home, env: own.env });
        refused(res, `${own.home} is not a git repository, and no project was named`);
        expect(res.stderr).toContain("name one after the command, a registered name or a path (2 registered: web-app, billing; `peers ls` shows each one's status), or run it inside the project");
        expect(res.stderr).not.toContain('git init');
      }
      // up in a new folder may be a new project: it also says how to make one here.
      const up = runPeers(['up'], { cwd: own.home, env: own.env });
      refused(up, `${own.home} is not a git repository, and no project was named`);
      expect(up.stderr).toContain('for a new project here, `git init` then `peers init`');
    } finally {
      own.cleanup();
    }
  });

  test('a wait longer than a timer holds (--interval, --grace past 24 days) is refused: it fired at once (status --watch redrew in a busy loop)', async () => {
    const runs = await Promise.all([['status', '--watch', '--interval', '2147484'], ['down', '--grace=99999999999']].map((args) => runPeersAsync(args, { cwd: plainRepo, env: sb.env })));
    for (const res of runs) refused(res, 'expected an integer less than or equal to 2147483');
  });

  test('check constructor is an unknown check, not a call of Object.constructor', () => {
    refused(runPeers(['check', 'constructor'], { cwd: plainRepo, env: sb.env }), 'unknown check "constructor"');
  });

  test('runner --probe-gates with a request that is not JSON', () => {
    refused(runPeers(['runner', '--probe-gates'], { cwd: plainRepo, env: sb.env }), '--probe-gates: the request on stdin is not JSON');
  });
});

describe('environment', () => {
  test('a relative PEERS_STATE_DIR is refused by name; a relative XDG_STATE_HOME is ignored (XDG spec)', () => {
    refused(runPeers(['status'], { cwd: p.repo, env: { ...sb.env, PEERS_STATE_DIR: 'state' } }), "PEERS_STATE_DIR must be an absolute path, not 'state'");
    const res = runPeers(['status', '--json'], { cwd: plainRepo, env: { ...sb.env, XDG_STATE_HOME: 'relative/state' } });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).state_dir).toStartWith(join(sb.home, '.local/state/peers/'));
  });

  test('PEERS_STATE_DIR naming a directory of other files: up and reset refuse it, exit 2, and leave every file where it was', async () => {
    // `up` made its run there and `reset` then moved the whole directory (the user's files with it)
    // into <dir>.archive/, which `peers prune` deletes.
    const repo = makeRepo(sb.root, 'state-dir-elsewhere');
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    const docs = join(sb.root, 'Documents');
    mkdirSync(docs);
    writeFileSync(join(docs, 'thesis.txt'), 'precious\n');
    const env = { ...sb.env, PEERS_STATE_DIR: docs };
    const [up, reset, pause] = await Promise.all([['up', '--clone-only'], ['reset'], ['pause', 'all']].map((args) => runPeersAsync(args, { cwd: repo, env })));
    for (const res of [up, reset, pause]) refused(res!, `${docs}: state directory: it holds other files (thesis.txt) and no run of peers: refusing to use it`);
    expect(readdirSync(docs)).toEqual(['thesis.txt']);
    expect(existsSync(`${docs}.archive`)).toBe(false);
  });

  test('a relative or missing TMPDIR is passed over for the system temp directory (verify made its checkout in "--": exit 70)', () => {
    const repo = makeRepo(sb.root, 'tmpdir-repo');
    expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
    for (const TMPDIR of ['--', join(sb.home, 'no-such-tmp')]) {
      const res = runPeers(['verify', '--json'], { cwd: repo, env: { ...sb.env, TMPDIR } });
      expect(res.stderr).not.toContain('internal error');
      // The gates of the `peers init` goals ran (some fail on a fresh repository: exit 1).
      expect(res.code).toBe(1);
      expect(JSON.parse(res.stdout).hard.map((g: { state: string }) => g.state)).toContain('pass');
    }
  });
});

describe('state files a user can break', () => {
  test('runs.jsonl as a directory, a symlink or an oversize file: named, exit 2', () => {
    withBroken('runs.jsonl', (f) => mkdirSync(f), () => refused(inState(['status']), `${state('runs.jsonl')}: run log: refusing to use it: it is not a regular file`));
    withBroken('runs.jsonl', (f) => symlinkSync('/dev/zero', f), () => refused(inState(['report']), `${state('runs.jsonl')}: run log: refusing to use it: it is a symlink`));
    withBroken('runs.jsonl', (f) => Bun.spawnSync(['truncate', '-s', '300M', f]), () => refused(inState(['status']), 'run log is larger than 268435456 bytes'));
  });

  test('a tick line with a wrong-typed field is skipped and counted, with the reason; replay of that tick says so', () => {
    const runs = readFileSync(state('runs.jsonl'), 'utf8').split('\n');
    const i = runs.findIndex((l) => l.includes('"tick":2,'));
    const line = JSON.parse(runs[i]!);
    withBroken('runs.jsonl', (f) => writeFileSync(f, runs.map((l, k) => (k === i ? JSON.stringify({ ...line, tick: '2' }) : l)).join('\n')), () => {
      const status = inState(['status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`1 unreadable line(s) skipped (first: line ${i + 1}: tick: Invalid input: expected number, received string)`);
      refused(inState(['replay', '2']), `no tick 2 in ${state('runs.jsonl')} (1 tick line(s) logged; 1 unreadable line(s) skipped, first line ${i + 1}: tick:`);
    });
  });

  test('replay reads a prompt only from the state dir\'s prompts/, whatever the tick line says', () => {
    const secret = join(sb.root, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET\n');
    const runs = readFileSync(state('runs.jsonl'), 'utf8').split('\n');
    const i = runs.findIndex((l) => l.includes('"tick":1,'));
    const line = JSON.parse(runs[i]!);
    withBroken('runs.jsonl', (f) => writeFileSync(f, runs.map((l, k) => (k === i ? JSON.stringify({ ...line, prompt_file: secret }) : l)).join('\n')), () => {
      const res = inState(['replay', '1']);
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('(prompt file missing)');
      expect(res.stdout).not.toContain('TOP-SECRET');
    });
  });

  test('a FIFO as the egress audit log: `peers logs --egress` refuses it instead of waiting on it', () => {
    const dir = join(p.stateDir, 'sidecars', 'egress');
    mkdirSync(dir, { recursive: true });
    Bun.spawnSync(['mkfifo', join(dir, 'egress.jsonl')]);
    try {
      refused(runPeers(['logs', '--egress', p.repo], { cwd: p.repo, env: { ...sb.env, PEERS_STATE_DIR: p.stateDir } }), `${join(dir, 'egress.jsonl')}: the egress audit log is not a regular file`);
    } finally {
      rmSync(join(p.stateDir, 'sidecars'), { recursive: true, force: true });
    }
  });

  test('report refuses to write REPORT.md through a planted symlink: exit 2 naming it (was exit 70)', () => {
    const report = state('REPORT.md');
    symlinkSync('/dev/null', report);
    try {
      refused(inState(['report']), `refusing to use ${report}: it is a symlink`);
    } finally {
      rmSync(report, { force: true });
    }
  });

  test('state.json naming a peer without a health record is corrupt (exit 2), not a crash in status', () => {
    const s = JSON.parse(readFileSync(state('state.json'), 'utf8'));
    delete s.peers.bob;
    withBroken('state.json', (f) => writeFileSync(f, JSON.stringify(s)), () => refused(inState(['status']), "run state is corrupt: peer_order names 'bob', which has no entry in peers"));
  });

  test('a FIFO as run.lock or as the stop reason: refused at once, never waited on', () => {
    withBroken('run.lock', (f) => Bun.spawnSync(['mkfifo', f]), () => refused(inState(['status']), `${state('run.lock')}: run lock: refusing to use it: it is not a regular single-link file`));
    withBroken('last-stop-reason.txt', (f) => Bun.spawnSync(['mkfifo', f]), () => refused(inState(['report']), 'stop reason file: refusing to use it: it is not a regular file'));
  });

  test('a FIFO in the trusted mirror (its config): bugs refuses at once naming it, git is never left waiting on it', () => {
    const mirror = state('run/mirror.git');
    withBroken('run/mirror.git/config', (f) => Bun.spawnSync(['mkfifo', f]), () =>
      refused(runPeers(['bugs'], { cwd: p.repo, env: { ...sb.env, PEERS_STATE_DIR: p.stateDir } }), `${join(mirror, 'config')}: the git dir ${mirror} is damaged: config is not a regular file`),
    );
  });
});

describe('the projects registry', () => {
  const registry = () => join(sb.home, '.config/peers/projects.json');
  test('an entry with a non-string name is named by its index (ls used to crash on padEnd)', () => {
    mkdirSync(join(sb.home, '.config/peers'), { recursive: true });
    writeFileSync(registry(), JSON.stringify({ version: 1, projects: [{ path: plainRepo, registered_at: '2026-01-01T00:00:00Z', name: 42 }] }));
    refused(runPeers(['ls'], { cwd: plainRepo, env: sb.env }), 'projects registry entry 1: name: Invalid input: expected string, received number');
    // Never rewritten over: the user's entry is theirs to fix (init says it could not register).
    const init = runPeers(['init', '--json'], { cwd: plainRepo, env: sb.env });
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout).notes.join('\n')).toContain('could not register the project for `peers doctor`: ');
    expect(JSON.parse(readFileSync(registry(), 'utf8')).projects[0].name).toBe(42);
    rmSync(registry());
  });

  test('the registry as a directory, and a FIFO as its lock: exit 2, no hang', () => {
    rmSync(registry(), { force: true });
    mkdirSync(registry(), { recursive: true });
    refused(runPeers(['ls'], { cwd: plainRepo, env: sb.env }), `${registry()}: projects registry: refusing to use it: it is not a regular file`);
    rmSync(registry(), { recursive: true });
    Bun.spawnSync(['mkfifo', `${registry()}.lock`]);
    const init = runPeers(['init', '--force', '--json'], { cwd: plainRepo, env: sb.env });
    expect(init.code).toBe(0);
    expect(JSON.parse(init.stdout).notes.join('\n')).toContain('projects registry lock: refusing to use it: it is not a regular file');
    rmSync(`${registry()}.lock`);
  });
});
