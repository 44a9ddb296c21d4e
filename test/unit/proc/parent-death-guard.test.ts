import { afterEach, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listProcesses, processIdentity } from '../../../src/proc/proc-table.ts';
import { supervise } from '../../../src/proc/supervise.ts';

const FIXTURE = join(import.meta.dir, '../../fixtures/proc/supervise-and-wait.ts');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const running = (pid: number) => {
  const id = processIdentity(pid);
  return id !== null && !id.zombie;
};

async function waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const pidsIn = (file: string) => readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);

test('SIGKILL of the supervisor: the child and what it started in its group die with it', async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-'));
  const pids = join(dir, 'pids');
  // A child that ignores SIGTERM, with a background grandchild that ignores it too.
  const script = `trap '' TERM; (trap '' TERM; sleep 300) & echo "$$ $!" > ${pids}.tmp; mv ${pids}.tmp ${pids}; while :; do sleep 1; done`;
  const supervisor = Bun.spawn([process.execPath, FIXTURE, script], { stdout: 'ignore', stderr: 'inherit' });
  await waitFor(() => existsSync(pids), 'the child to start');
  const [child, grandchild] = pidsIn(pids) as [number, number];
  expect(running(child)).toBe(true);
  expect(running(grandchild)).toBe(true);
  supervisor.kill('SIGKILL');
  await supervisor.exited;
  await waitFor(() => !running(child) && !running(grandchild), 'the orphans to die');
});

test('a child whose supervisor lives is not touched by the guard, and the watcher is gone after it ends', async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-'));
  const r = await supervise({ argv: ['/bin/sh', '-c', 'echo $$; sleep 0.3; echo done'], cwd: dir });
  expect(r.exitCode).toBe(0);
  const pid = Number(r.stdout.split('\n')[0]);
  expect(r.stdout).toContain('done');
  // Nothing is left in the child's group: not the program, not the guard's watcher.
  await waitFor(() => !listProcesses().some((p) => p.pgid === pid && !p.zombie), 'the group to empty');
});

test('exit status and signals are the program\'s own, through the guard', async () => {
  const code = await supervise({ argv: ['/bin/sh', '-c', 'exit 7'], cwd: tmpdir() });
  expect(code.exitCode).toBe(7);
  const killed = await supervise({ argv: ['/bin/sh', '-c', 'kill -USR1 $$'], cwd: tmpdir() });
  expect(killed.signal).toBe('SIGUSR1');
  // stdin reaches the program (a shell's background job would have read /dev/null).
  const echoed = await supervise({ argv: ['cat'], cwd: tmpdir(), stdin: 'hello', env: { PATH: '/usr/bin:/bin' } });
  expect(echoed.stdout).toBe('hello');
});

test('a `/bin/sh -c` program runs in the guard\'s own shell: no positional parameters, fd 3 closed, the same exit, signals and group', async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-'));
  // `$1` would be the script itself if the guard's eval leaked it; fd 3 is the guard's lifeline.
  const r = await supervise({ argv: ['/bin/sh', '-c', 'echo "$0 $# [$1]"; if { true >&3; } 2>/dev/null; then echo fd3-open; else echo fd3-closed; fi; echo $$; exit 3'], cwd: dir });
  expect(r.exitCode).toBe(3);
  const [args, fd3, pid] = r.stdout.trim().split('\n');
  expect(args).toBe('/bin/sh 0 []');
  expect(fd3).toBe('fd3-closed');
  // The script's shell leads the group; the watcher left nothing behind once it ended.
  await waitFor(() => !listProcesses().some((p) => p.pgid === Number(pid) && !p.zombie), 'the group to empty');
  const syntax = await supervise({ argv: ['/bin/sh', '-c', 'if then'], cwd: dir });
  expect(syntax.exitCode).toBe(2);
});
