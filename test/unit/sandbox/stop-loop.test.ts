/**
 * How `peers down` stops the loop (sandbox/pod-teardown.ts stopLoop): SIGTERM, then the loop's
 * lifeline closing is its exit; when the line cannot tell, `podman stop` does it, and a loop that
 * could not be stopped is an error (the pod is never removed under it). podman is a recording shim
 * whose `kill` signals a real process holding a real lifeline.
 */
import { afterEach, expect, test } from 'bun:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loopExitWatch } from '../../../sandbox/lifeline.ts';
import { loopPidFilePath } from '../../../sandbox/pod-plan.ts';
import { stopLoop } from '../../../sandbox/pod-teardown.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/**
 * A loop stand-in: holds the lifeline at `path`, exits 0 on SIGTERM after `saveMs` ("saving").
 * `asInit`: its command line and environment are those of podman's init running the project's loop.
 */
async function fakeLoop(path: string, saveMs: number, asInit?: { project: string }): Promise<ChildProcess> {
  const script = `import { holdLifeline } from ${JSON.stringify(resolve(import.meta.dir, '../../../sandbox/lifeline.ts'))}; process.on('SIGTERM', () => setTimeout(() => process.exit(0), ${saveMs})); await holdLifeline(${JSON.stringify(path)}); console.log('holding'); setInterval(() => {}, 1000);`;
  const child = asInit
    ? spawn(process.execPath, ['-e', script, '--', '/usr/local/bin/peers', 'loop'], { stdio: ['ignore', 'pipe', 'inherit'], argv0: '/run/podman-init', env: { ...process.env, PEERS_PROJECT: asInit.project } })
    : spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  return child;
}

/** A podman whose `kill` sends SIGTERM to `pid` and whose `stop` exits `stopCode`; every call recorded. */
function shim(pid: number, stopCode: number): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'peers-stop-loop-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'podman'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${log}\ncase "$1" in kill) kill -TERM ${pid};; stop) echo 'no such container' >&2; exit ${stopCode};; esac\nexit 0\n`, { mode: 0o755 });
  return { env: { ...process.env, PEERS_PODMAN: join(dir, 'podman') }, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function linePath(): string {
  const d = mkdtempSync(join(tmpdir(), 'peers-stop-line-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return join(d, 'loop.sock');
}

test('the loop is stopped by SIGTERM and its exit is the lifeline closing: no podman stop', async () => {
  const path = linePath();
  const loop = await fakeLoop(path, 200);
  const p = shim(loop.pid!, 1);
  const exited = new Promise((r) => loop.once('exit', r));
  const started = Date.now();
  await stopLoop('app', 30, p.env, await loopExitWatch(path));
  // Returned only once the loop process had ended, after its 200 ms "save".
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  expect(await exited).toBe(0);
  expect(p.calls()).toEqual(['kill --signal TERM peers-app-loop']);
});

test('with a pidfile naming the loop\'s init, SIGTERM goes to it with no podman process at all; a pidfile naming another process is not used', async () => {
  const runtime = mkdtempSync(join(tmpdir(), 'peers-stop-runtime-'));
  cleanups.push(() => rmSync(runtime, { recursive: true, force: true }));
  const env = { XDG_RUNTIME_DIR: runtime };
  mkdirSync(dirname(loopPidFilePath('app', env)), { recursive: true });
  // The pidfile names a process that is not the loop's init: podman kill, as before.
  const path = linePath();
  const loop = await fakeLoop(path, 50, { project: 'app' });
  const p = shim(loop.pid!, 1);
  const other = spawn('sleep', ['30']);
  cleanups.push(() => other.kill('SIGKILL'));
  writeFileSync(loopPidFilePath('app', env), `${other.pid}\n`);
  await stopLoop('app', 30, { ...p.env, ...env }, await loopExitWatch(path));
  expect(p.calls()).toEqual(['kill --signal TERM peers-app-loop']);
  expect(other.exitCode).toBeNull();
  // The pidfile names the loop's init: signalled directly, podman is not run.
  const path2 = linePath();
  const loop2 = await fakeLoop(path2, 50, { project: 'app' });
  const q = shim(2 ** 22, 1);
  writeFileSync(loopPidFilePath('app', env), `${loop2.pid}\n`);
  const exited = new Promise((r) => loop2.once('exit', r));
  await stopLoop('app', 30, { ...q.env, ...env }, await loopExitWatch(path2));
  expect(await exited).toBe(0);
  expect(q.calls()).toEqual([]);
});

test('no line to tell the exit: podman stop does it, and its failure is an error (the pod stays)', async () => {
  const p = shim(2 ** 22, 125);
  await expect(stopLoop('app', 5, p.env, null)).rejects.toThrow('could not stop the loop container');
  expect(p.calls()).toEqual(['stop -t 5 peers-app-loop']);
});

test('a loop that outlives the grace period after SIGTERM is left to podman stop (SIGKILL), never taken for gone', async () => {
  const path = linePath();
  const loop = await fakeLoop(path, 60_000);
  const p = shim(loop.pid!, 0);
  await stopLoop('app', 1, p.env, await loopExitWatch(path));
  expect(p.calls()).toEqual(['kill --signal TERM peers-app-loop', 'stop -t 0 peers-app-loop']);
});
