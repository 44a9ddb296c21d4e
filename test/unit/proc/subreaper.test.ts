/**
 * On the host the loop is its runs' subreaper (src/proc/subreaper.ts): a process a turn leaves that
 * dropped the turn's mark (`env -i`) comes back to the loop as its child and is stopped when the
 * turn ends; a daemon of a run still under way (an expensive gate while the next peer works) is
 * left to that run. The whole loop through the CLI: cheats/turn-squatter.test.ts.
 */
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { orphansToStop, zombiesToReap, type OrphanCandidate } from '../../../src/proc/subreaper.ts';
import { RUN_MARK_VAR } from '../../../src/proc/marked-leftovers.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const SELF = 100;
const GROUP = 100;
const live = { unreaped: new Set([101]), groups: new Set([101, 300]), marks: new Set(['gate-mark']) };
const proc = (pid: number, pgid: number, extra: Partial<OrphanCandidate> = {}): OrphanCandidate => ({ pid, ppid: SELF, pgid, zombie: false, environ: 'PATH=/bin\0', ...extra });

test("the leftovers are the loop's children it did not start, of no run under way", () => {
  const procs = [
    proc(101, 101), // a child the runtime started and has not reaped: never touched
    proc(102, GROUP), // a child of the loop's own group (a synchronous call's, a gate tree's `cp`)
    proc(103, 300), // in the group of a run still under way (its guard's watcher)
    proc(104, 104, { environ: `PATH=/bin\0${RUN_MARK_VAR}=gate-mark\0` }), // a running gate's own daemon
    proc(105, 105, { environ: '' }), // env -i: no mark at all → a leftover
    proc(106, 106, { environ: `${RUN_MARK_VAR}=turn-mark-done\0` }), // the finished turn's mark → a leftover
    proc(107, 107, { environ: undefined }), // unreadable (another user's after a setuid exec) → a leftover
    proc(108, 108, { zombie: true }), // dead: reaped, not killed
    { ...proc(109, 109), ppid: 1 }, // not the loop's child
    proc(SELF, GROUP),
  ];
  expect(orphansToStop(procs, SELF, GROUP, live)).toEqual([105, 106, 107]);
  expect(zombiesToReap([...procs, proc(110, 101, { zombie: true }), proc(111, GROUP, { zombie: true }), { ...proc(101, 101), zombie: true }], SELF, GROUP, live)).toEqual([108, 110]);
});

async function hostRun(dir: string, mode: 'subreaper' | 'no-subreaper') {
  const r = Bun.spawn([process.execPath, join(import.meta.dir, '../../fixtures/proc/subreaper-host.ts'), dir, mode], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(r.stdout).text(), new Response(r.stderr).text(), r.exited]);
  const line = out.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`no result: ${err}`);
  return JSON.parse(line);
}

test("a turn's daemon without the mark is stopped when the turn ends; a running gate's daemon lives until that gate ends", async () => {
  const r = await hostRun(tempDir('subreaper-'), 'subreaper');
  expect(r.subreaper).toBe(true);
  expect(r.turnError).toBeNull();
  expect(r.turnStopped).toBe(1);
  expect(r.afterTurn).toEqual({ turnDaemon: false, gateDaemon: true });
  // The gate's daemon kept the gate's mark: the gate's own end stops it.
  expect(r.gateStopped).toBe(1);
  expect(r.gateDaemonAfterGate).toBe(false);
});

test('control: without the subreaper the mark alone misses the daemon that dropped it', async () => {
  const r = await hostRun(tempDir('subreaper-'), 'no-subreaper');
  expect(r.subreaper).toBe(false);
  expect(r.turnStopped).toBe(0);
  expect(r.afterTurn.turnDaemon).toBe(true);
  process.kill(r.turnDaemonPid, 'SIGKILL');
});
