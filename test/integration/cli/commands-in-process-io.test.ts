/**
 * Commands that start podman, follow a log, pack a tree or read the repository through a view run
 * in this process on what they are handed (src/cli/command-io.ts) and on nothing of the process:
 * each test sets the process's own variable to a wrong value while the injected environment has
 * the right one, so a command that reached for `process.*` would fail it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerName } from '../../../sandbox/pod-layout.ts';
import { projectRegistryPath } from '../../../src/config/project-registry.ts';
import { projectKey, stateDirFor, statePaths } from '../../../src/state/paths.ts';
import { gitOk } from '../../../src/git/git.ts';
import { waitFor } from '../../wait-for.ts';
import { Captured, runInProcess } from './in-process.ts';
import { inProcessFixture, type InProcessFixture } from './in-process-fixture.ts';

let fx: InProcessFixture;
let scratch: string;
beforeAll(async () => {
  fx = await inProcessFixture();
  scratch = mkdtempSync(join(tmpdir(), 'peers-io-'));
}, 60_000);
afterAll(() => {
  fx?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Sets process.env[name] for one test; afterEach puts it back (delete when it was unset). */
const saved = new Map<string, string | undefined>();
function setProcessEnv(name: string, value: string): void {
  if (!saved.has(name)) saved.set(name, process.env[name]);
  process.env[name] = value;
}
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});

/**
 * A stand-in for podman that answers as the real CLI does for what `peers logs` asks: `container
 * exists NAME` (exit 0: the loop container is there) and `logs [-f] NAME` (the container's stdout
 * and stderr on podman's stdout and stderr; with -f it keeps following until it is killed). Every
 * call is appended to $FAKE_PODMAN_CALLS.
 */
function fakePodman(dir: string): string {
  const bin = join(dir, 'podman');
  writeFileSync(
    bin,
    `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_PODMAN_CALLS"
case "$1" in
  container) [ "$2" = exists ] && exit 0; exit 125 ;;
  logs)
    shift
    if [ -n "$FAKE_PODMAN_LOGS_FAIL" ]; then echo 'Error: reading the log: boom' >&2; exit 125; fi
    echo 'time="2026-12-07T03:38:45Z" level=warning msg="a podman warning"' >&2
    follow=
    if [ "$1" = -f ]; then follow=1; shift; fi
    printf 'peers: tick 3 peer=alice starting...\\n' >&2
    printf 'loop output of %s\\n' "$1"
    if [ -n "$follow" ]; then exec sleep 300; fi
    exit 0 ;;
esac
echo "podman: unknown command $1" >&2
exit 125
`,
    { mode: 0o755 },
  );
  return bin;
}

describe('logs -f of a running loop, through podman', () => {
  test("podman is io.env's PEERS_PODMAN; its output reaches the injected streams; the injected SIGINT ends the follow (exit 0), and no listener is left", async () => {
    const dir = join(scratch, 'podman-logs');
    mkdirSync(dir);
    const calls = join(dir, 'calls');
    const env = { ...fx.env, PEERS_STATE_DIR: fx.run.stateDir, PEERS_PODMAN: fakePodman(dir), FAKE_PODMAN_CALLS: calls };
    setProcessEnv('PEERS_PODMAN', join(dir, 'no-such-podman'));
    const signals = new EventEmitter();
    const stdout = new Captured();
    const stderr = new Captured();
    const loop = containerName(projectKey(fx.run.repo), 'loop');
    const done = runInProcess(['logs', '-f'], { env, cwd: fx.run.repo, signals, stdout, stderr });
    await waitFor('the followed output', () => stdout.text.includes('loop output of'));
    // Following: podman is still running, the command has not returned.
    expect(readFileSync(calls, 'utf8')).toBe(`container exists ${loop}\nlogs -f ${loop}\n`);
    signals.emit('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    // Both streams of the container are the log: on stdout, pipeable; only podman's own warning on stderr.
    expect(r.stdout.split('\n').sort()).toEqual(['', 'loop output of ' + loop, 'peers: tick 3 peer=alice starting...']);
    expect(r.stderr).toBe('time="2026-12-07T03:38:45Z" level=warning msg="a podman warning"\n');
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  test("podman logs itself failing: its exit code, and its message on stderr, not in the log", async () => {
    const dir = join(scratch, 'podman-logs-fails');
    mkdirSync(dir);
    const env = { ...fx.env, PEERS_STATE_DIR: fx.run.stateDir, PEERS_PODMAN: fakePodman(dir), FAKE_PODMAN_CALLS: join(dir, 'calls'), FAKE_PODMAN_LOGS_FAIL: '1' };
    const r = await runInProcess(['logs', '-f'], { env, cwd: fx.run.repo });
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: reading the log: boom\n');
  });
});

describe('check', () => {
  test("the run baseline comes from io.env: a PEERS_RUN_BASELINE there that the repository lacks fails bug-hunt-clean (exit 1, fail closed)", async () => {
    const env = { ...fx.env, PEERS_RUN_BASELINE: 'f'.repeat(40) };
    const r = await runInProcess(['check', 'bug-hunt-clean'], { env, cwd: fx.repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`bug-hunt: PEERS_RUN_BASELINE names ffffffffffff, which is not in this repository\n`);
  });

  test("one set in the process's own environment only is not the command's: the check passes on its tag baseline", async () => {
    setProcessEnv('PEERS_RUN_BASELINE', 'e'.repeat(40));
    const r = await runInProcess(['check', 'bug-hunt-clean'], { env: fx.env, cwd: fx.repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toStartWith('bug-hunt:');
  });
});

describe('up --clone-only', () => {
  test('the run is prepared in the injected state home and registry, nothing in the process\'s', async () => {
    const processState = join(scratch, 'process-state');
    setProcessEnv('XDG_STATE_HOME', processState);
    setProcessEnv('XDG_CONFIG_HOME', join(scratch, 'process-config'));
    setProcessEnv('HOME', join(scratch, 'process-home'));
    const r = await runInProcess(['up', '--clone-only'], { env: fx.env, cwd: fx.repo });
    expect(r.code, r.stderr).toBe(0);
    const stateDir = stateDirFor(fx.repo, fx.env);
    expect(stateDir.startsWith(`${fx.env.XDG_STATE_HOME}/`)).toBe(true);
    const clone = statePaths(stateDir).clone;
    expect(r.stdout).toStartWith(`proj: run clone ready at ${clone} (`);
    expect(existsSync(join(clone, '.git'))).toBe(true);
    const registry = readFileSync(projectRegistryPath(fx.env), 'utf8');
    expect(registry).toContain(JSON.stringify(fx.repo));
    for (const d of [processState, join(scratch, 'process-config'), join(scratch, 'process-home')]) expect(existsSync(d) ? readdirSync(d) : []).toEqual([]);
  });
});

describe('k8s pack', () => {
  test('the tar stream goes to the injected stdout, bytes intact; --dir is relative to the injected working directory', async () => {
    const base = join(scratch, 'pack');
    mkdirSync(join(base, 'state', 'run'), { recursive: true });
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3]);
    writeFileSync(join(base, 'state', 'ledger.bin'), binary);
    writeFileSync(join(base, 'state', 'run', 'left-out'), 'x');
    const stdout = new Captured();
    const r = await runInProcess(['k8s', 'pack', '--dir', 'state', '--as', 'state', '--exclude', 'run'], { env: fx.env, cwd: base, stdout });
    expect(r.code, r.stderr).toBe(0);
    // The real tar reads what the command wrote.
    const out = join(base, 'unpacked');
    mkdirSync(out);
    const tar = spawnSync('tar', ['-x', '-C', out], { input: stdout.bytes });
    expect(tar.status, tar.stderr.toString()).toBe(0);
    expect(readFileSync(join(out, 'state', 'ledger.bin')).equals(binary)).toBe(true);
    expect(existsSync(join(out, 'state', 'run'))).toBe(false);
  });
});

describe('verify', () => {
  test('the injected SIGINT stops the running gate and removes its checkout: exit 130, no VERIFY.md, no listener left', async () => {
    const repo = join(scratch, 'verify-repo');
    mkdirSync(repo);
    gitOk(repo, ['init', '-q', '-b', 'main']);
    writeFileSync(join(repo, '.gitignore'), '.peers/\n');
    gitOk(repo, ['add', '.']);
    gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'initial']);
    mkdirSync(join(repo, '.peers'));
    writeFileSync(join(repo, '.peers', 'config.yaml'), 'peers:\n  - name: alpha\n    tool: custom\n    argv: [cat]\n  - name: beta\n    tool: custom\n    argv: [cat]\n');
    const cwdMark = join(scratch, 'verify-cwd');
    writeFileSync(join(repo, '.peers', 'goals.yaml'), `goals:\n  - id: long-suite\n    type: hard\n    cmd: "pwd > ${cwdMark}.tmp; mv ${cwdMark}.tmp ${cwdMark}; exec sleep 60"\n    pass_when: exit_code == 0\n`);
    const signals = new EventEmitter();
    const done = runInProcess(['verify'], { env: fx.env, cwd: repo, signals });
    await waitFor('the gate to start in its checkout', () => existsSync(cwdMark), 15_000);
    const checkout = readFileSync(cwdMark, 'utf8').trim();
    expect(existsSync(checkout)).toBe(true);
    signals.emit('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(existsSync(checkout)).toBe(false);
    expect(existsSync(join(repo, '.peers', 'VERIFY.md'))).toBe(false);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP'].map((n) => signals.listenerCount(n))).toEqual([0, 0, 0]);
  });
});
