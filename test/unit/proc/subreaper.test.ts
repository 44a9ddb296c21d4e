/**
 * On the host the loop is its runs' subreaper (src/proc/subreaper.ts): a process a turn leaves that
 * dropped the turn's mark (`env -i`) comes back to the loop as its child and is stopped when the
 * turn ends; one that may be a run's still under way (started after that run began: an expensive
 * gate's server, through podman's conmon, has no mark either) is left to that run's end. The whole
 * loop through the CLI: cheats/turn-squatter.test.ts.
 */
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { listChildStats, listProcStats } from '../../../src/proc/proc-table.ts';
import { orphansToStop, zombiesToReap, type OrphanCandidate } from '../../../src/proc/subreaper.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const SELF = 100;
const GROUP = 100;
const proc = (pid: number, pgid: number, extra: Partial<OrphanCandidate> = {}): OrphanCandidate => ({ pid, ppid: SELF, pgid, zombie: false, startTicks: 500, ...extra });

test("the leftovers are the loop's children it did not start, outside its group, of no run under way", () => {
  const procs = [
    proc(101, 101), // a child the runtime started and has not reaped: never touched
    proc(102, GROUP), // a child of the loop's own group (a synchronous call's, a gate tree's `cp`)
    proc(103, 300), // in the group of a run still under way (its guard's watcher)
    proc(104, 104, { startTicks: 350 }), // started before the run still under way: a leftover
    proc(105, 105, { startTicks: 399 }), // a leftover
    proc(106, 106, { startTicks: 400 }), // started as the run under way did: may be its own
    proc(107, 107, { startTicks: 900 }), // started after it: may be its own (conmon of its tests' database)
    proc(108, 108, { zombie: true, startTicks: 10 }), // dead: reaped, not killed
    { ...proc(109, 109, { startTicks: 10 }), ppid: 1 }, // not the loop's child
    proc(SELF, GROUP, { startTicks: 1 }),
  ];
  const underWay = { unreaped: new Set([101]), runs: [{ group: 300, start: 400 }] };
  expect(orphansToStop(procs, SELF, GROUP, underWay)).toEqual([104, 105]);
  // Nothing under way (a turn's end, as a rule): every one of them.
  expect(orphansToStop(procs, SELF, GROUP, { unreaped: new Set([101]), runs: [] })).toEqual([103, 104, 105, 106, 107]);
  expect(zombiesToReap([...procs, proc(110, 101, { zombie: true }), proc(111, GROUP, { zombie: true }), { ...proc(101, 101), zombie: true }], SELF, GROUP, underWay)).toEqual([108, 110]);
});

async function hostRun(mode: 'alone' | 'beside-gate' | 'no-subreaper' | 'ghost' | 'ghost-marked') {
  const r = Bun.spawn([process.execPath, join(import.meta.dir, '../../fixtures/proc/subreaper-host.ts'), tempDir('subreaper-'), mode], { stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(r.stdout).text(), new Response(r.stderr).text(), r.exited]);
  const line = out.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`no result: ${err}`);
  return JSON.parse(line);
}

test("a turn's daemon without the mark is stopped when the turn ends", async () => {
  const r = await hostRun('alone');
  expect(r.subreaper).toBe(true);
  expect(r.turn).toEqual({ stopped: 1, error: null });
  expect(r.afterTurn.turnDaemon).toBe(false);
});

test("beside a gate under way, its server without a mark lives until the gate ends, and so does what started after it", async () => {
  const r = await hostRun('beside-gate');
  expect(r.turn).toEqual({ stopped: 0, error: null });
  expect(r.afterTurn).toMatchObject({ turnDaemon: true, gateServer: true });
  // The gate's end stops both: nothing under way is older than either.
  expect(r.afterGate).toEqual({ stopped: 2, error: null, turnDaemon: false, gateServer: false });
});

test('control: without the subreaper the mark alone misses the daemon that dropped it', async () => {
  const r = await hostRun('no-subreaper');
  expect(r.subreaper).toBe(false);
  expect(r.turn).toEqual({ stopped: 0, error: null });
  expect(r.afterTurn.turnDaemon).toBe(true);
});

test('a leftover whose main thread exited while another runs on (/proc shows it as a zombie) is stopped, with or without its mark', async () => {
  const unmarked = await hostRun('ghost');
  expect(unmarked.turn).toEqual({ stopped: 1, error: null });
  expect(unmarked.afterTurn).toMatchObject({ turnDaemon: false, beating: false });
  // The mark alone finds it too: read from a thread still running (the leader's environ reads empty).
  const marked = await hostRun('ghost-marked');
  expect(marked.subreaper).toBe(false);
  expect(marked.turn).toEqual({ stopped: 1, error: null });
  expect(marked.afterTurn).toMatchObject({ turnDaemon: false, beating: false });
});

test("the sweep reads this process's children from the kernel's list: the same as the whole table's", async () => {
  const kids = [Bun.spawn(['sleep', '30']), Bun.spawn(['sleep', '30'])];
  try {
    const fromList = listChildStats(process.pid);
    expect(fromList).not.toBeNull();
    const fromTable = listProcStats().filter((p) => p.ppid === process.pid);
    expect(fromList!.map((p) => p.pid).sort()).toEqual(fromTable.map((p) => p.pid).sort());
    for (const k of kids) expect(fromList!.map((p) => p.pid)).toContain(k.pid);
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    await Promise.all(kids.map((k) => k.exited));
  }
});
