import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervise, signalExitCode } from '../../../src/proc/supervise.ts';
import { waitFor } from '../../wait-for.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';
import { isRunning } from '../../support/process-state.ts';

afterAll(removeTempDirs);

const cwd = tmpdir();
const sh = (script: string, extra: Partial<Parameters<typeof supervise>[0]> = {}) =>
  supervise({ argv: ['/bin/sh', '-c', script], cwd, killGraceMs: 500, ...extra });

/** Running (not a zombie waiting for a reaper that this sandbox's PID 1 may never provide). */
describe('supervise', () => {
  test('reports exit code and captures both streams', async () => {
    const r = await sh('echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', endedBy: 'exit' });
    expect(r.stdoutTruncated).toBe(false);
  });

  test('a child killed by a signal reports the signal and a negative code helper', async () => {
    const r = await sh('kill -TERM $$; sleep 5');
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(r.endedBy).toBe('exit');
    expect(signalExitCode(r.signal)).toBe(-15);
  });

  test('idle timeout kills a silent child', async () => {
    const r = await sh('echo start; sleep 30', { idleTimeoutMs: 300 });
    expect(r.endedBy).toBe('idle-timeout');
    expect(r.stdout).toBe('start\n');
    expect(r.signal).toBe('SIGTERM');
  });

  test('a chatty-but-slow child outlives the idle timeout because every byte resets it', async () => {
    // 8 lines, 100 ms apart = 800 ms total, far beyond the 400 ms idle limit.
    const r = await sh('for i in 1 2 3 4 5 6 7 8; do echo $i; sleep 0.1; done', { idleTimeoutMs: 400 });
    expect(r.endedBy).toBe('exit');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(8);
  });

  test('absolute timeout kills a chatty child', async () => {
    const r = await sh('while :; do echo tick; sleep 0.05; done', { absoluteTimeoutMs: 300, idleTimeoutMs: 5000 });
    expect(r.endedBy).toBe('absolute-timeout');
    expect(r.stdout).toContain('tick');
  });

  test('a flood beyond the cap keeps head and tail and flags truncation', async () => {
    // ~3 MiB: a recognizable first line, filler, a recognizable last line.
    const r = await sh("echo FIRST-LINE; head -c 3145728 /dev/zero | tr '\\0' x; echo; echo LAST-LINE");
    expect(r.endedBy).toBe('exit');
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout.startsWith('FIRST-LINE\n')).toBe(true);
    expect(r.stdout.endsWith('LAST-LINE\n')).toBe(true);
    expect(r.stdout).toMatch(/\n\.\.\. <\d+ bytes truncated> \.\.\.\n/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThanOrEqual(2 * 1024 * 1024 + 100);
    expect(r.stderrTruncated).toBe(false);
  });

  test('a child that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const r = await sh("trap '' TERM; echo ready; while :; do sleep 0.05; done", { absoluteTimeoutMs: 200, killGraceMs: 300 });
    expect(r.endedBy).toBe('absolute-timeout');
    expect(r.signal).toBe('SIGKILL');
  });

  test('the whole process group dies on kill, not just the leader', async () => {
    const dir = tempDir('sup-');
    const pidFile = join(dir, 'pid');
    const r = await sh(`sleep 30 & echo $! > ${pidFile}; wait`, { absoluteTimeoutMs: 200 });
    expect(r.endedBy).toBe('absolute-timeout');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // The group was sent SIGKILL; its death is asynchronous (a sleep 30 left alive fails this).
    await waitFor('the background sleep to die with its group', () => !isRunning(pid), 5_000);
  });

  test('returns promptly when an escaped grandchild keeps the pipes open after the leader exits', async () => {
    // setsid puts the sleeper outside our group, so no group kill reaches it; it holds stdout.
    const dir = tempDir('sup-');
    const pidFile = join(dir, 'pid');
    const r = await sh(`setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30' & sleep 0.2; echo leader-done; exit 4`);
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toContain('leader-done');
    // The assertion that matters is that we got here at all (the sleeper lives for 30 s);
    // duration is reported for the record, not compared to a threshold.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  test('background members of the group are cleaned up after the leader exits', async () => {
    const dir = tempDir('sup-');
    const pidFile = join(dir, 'pid');
    const r = await sh(`sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}; exit 0`);
    expect(r.exitCode).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the background member to be cleaned up after the leader exits', () => !isRunning(pid), 5_000);
  });

  test('stdin is delivered and closed; without stdin the child reads /dev/null', async () => {
    const withInput = await sh('cat; echo "[eof]"', { stdin: 'hello\nworld\n' });
    expect(withInput.stdout).toBe('hello\nworld\n[eof]\n');
    const without = await sh('cat; echo "[eof]"');
    expect(without.stdout).toBe('[eof]\n');
  });

  test('a child that never reads a large stdin does not break supervision', async () => {
    const r = await sh('exit 0', { stdin: 'x'.repeat(1024 * 1024) });
    expect(r.exitCode).toBe(0);
    expect(r.endedBy).toBe('exit');
  });

  test('invalid UTF-8 is replaced, and multi-byte characters split across reads survive', async () => {
    const seen: string[] = [];
    const r = await sh("printf 'bad:\\377\\376:'; printf '\\342\\202'; sleep 0.1; printf '\\254!'", {
      onOutput: (_s, text) => void seen.push(text),
    });
    expect(r.stdout).toBe('bad:\uFFFD\uFFFD:€!');
    expect(seen.join('')).toBe('bad:\uFFFD\uFFFD:€!');
  });

  test('an incomplete character at the very end reaches onOutput as U+FFFD, like the captured text', async () => {
    const seen: string[] = [];
    const r = await sh("printf 'end\\342\\202'", { onOutput: (_s, text) => void seen.push(text) });
    expect(r.stdout).toBe('end\uFFFD');
    expect(seen.join('')).toBe(r.stdout);
  });

  test('a timeout cannot relabel a run whose leader already exited while a straggler holds the pipe', async () => {
    // The idle timeout falls inside the 500 ms the supervisor gives stragglers after the leader's
    // exit, and far after the leader's own start (a shell under the parent-death guard).
    const r = await sh("setsid sh -c 'sleep 3' & exit 0", { idleTimeoutMs: 250 });
    expect(r.endedBy).toBe('exit');
    expect(r.exitCode).toBe(0);
  });

  test('onOutput sees live text and can kill the child', async () => {
    const r = await sh('echo working; echo FATAL quota; sleep 30', {
      onOutput: (stream, text) => (stream === 'stdout' && text.includes('FATAL') ? 'kill' : undefined),
    });
    expect(r.endedBy).toBe('killed-by-callback');
    expect(r.stdout).toContain('FATAL quota');
  });

  test('an external abort stops the child gracefully', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await sh("trap 'echo got-term; exit 7' TERM; while :; do sleep 0.05; done", { signal: ac.signal });
    expect(r.endedBy).toBe('aborted');
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toContain('got-term');
  });

  test('an already-aborted signal never starts the child', async () => {
    const dir = tempDir('sup-');
    const ac = new AbortController();
    ac.abort();
    const r = await sh(`touch ${join(dir, 'ran')}`, { signal: ac.signal });
    expect(r.endedBy).toBe('aborted');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  test('a missing binary ends with spawn-error and exit 127', async () => {
    const r = await supervise({ argv: ['/nonexistent/peers-no-such-binary'], cwd });
    expect(r.endedBy).toBe('spawn-error');
    expect(r.exitCode).toBe(127);
    expect(r.spawnError).toContain('ENOENT');
  });

  test('a missing working directory is named as such; a non-executable file gives 126', async () => {
    const noCwd = await supervise({ argv: ['/bin/true'], cwd: '/nonexistent-peers-dir' });
    expect(noCwd).toMatchObject({ endedBy: 'spawn-error', exitCode: 127 });
    expect(noCwd.spawnError).toContain('working directory /nonexistent-peers-dir does not exist');
    const plain = join(tempDir('sup-'), 'not-executable');
    writeFileSync(plain, 'echo hi\n', { mode: 0o644 });
    const notExec = await supervise({ argv: [plain], cwd });
    expect(notExec).toMatchObject({ endedBy: 'spawn-error', exitCode: 126 });
  });

  test('env is the full child environment', async () => {
    const r = await supervise({ argv: ['/bin/sh', '-c', 'echo "$ONLY_VAR:${HOME:-unset}"'], cwd, env: { ONLY_VAR: 'v', PATH: '/usr/bin:/bin' } });
    expect(r.stdout).toBe('v:unset\n');
  });
});
