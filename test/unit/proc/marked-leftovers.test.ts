/**
 * A peer turn leaves nothing running into the next turn (SECURITY.md, "A turn's commits are its own
 * peer's"): a process it started outside its process group (`setsid`, a double fork) is stopped
 * when the turn ends. The cheat this closes is played through the loop in
 * test/integration/cheats/turn-squatter.test.ts; here the sweep itself, on real processes.
 */
import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HardGoalSchema } from '../../../src/config/goals-schema.ts';
import { evaluateGates } from '../../../src/gates/gate-engine.ts';
import { runSetup } from '../../../src/loop/shell/gate-probe.ts';
import { blankPids, candidatesAmong, markedPids, RUN_MARK_VAR } from '../../../src/proc/marked-leftovers.ts';
import { listProcStats, processStartTicks, type ProcStat } from '../../../src/proc/proc-table.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { supervise } from '../../../src/proc/supervise.ts';
import { waitFor } from '../../wait-for.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';
import { isRunning } from '../../support/process-state.ts';

afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

/** A turn that leaves a `setsid` daemon (a double fork too) and says where its pids are. */
const DAEMONS = (dir: string) => `setsid sh -c 'echo $$ > ${dir}/a; exec sleep 60' </dev/null >/dev/null 2>&1 &
( ( setsid sh -c 'echo $$ > ${dir}/b; exec sleep 60' </dev/null >/dev/null 2>&1 & ) & )
while [ ! -s ${dir}/a ] || [ ! -s ${dir}/b ]; do :; done`;

const pidIn = (dir: string, f: string) => Number(readFileSync(join(dir, f), 'utf8').trim());

test('markedPids: the processes carrying the exact mark outside the run group, never the sweeper or a zombie', () => {
  const env = (mark: string) => `PATH=/bin\0${RUN_MARK_VAR}=${mark}\0HOME=/h\0`;
  const procs = [
    { pid: 10, pgid: 10, zombie: false, environ: env('m1') }, // the run's own group: dies with it
    { pid: 11, pgid: 11, zombie: false, environ: env('m1') }, // left the group: a leftover
    { pid: 12, pgid: 12, zombie: true, environ: env('m1') },
    { pid: 13, pgid: 13, zombie: false, environ: env('m1x') }, // another run's mark
    { pid: 14, pgid: 14, zombie: false, environ: `X=${RUN_MARK_VAR}=m1\0` }, // the text inside another variable
    { pid: 15, pgid: 15, zombie: false, environ: undefined }, // another user's
    { pid: 16, pgid: 16, zombie: false, environ: env('m1') }, // the sweeper itself
  ];
  expect(markedPids(procs, 'm1', 10, 16)).toEqual([11]);
  // An environment that reads back empty (an exec under way) is read again before the sweep ends.
  expect(blankPids([...procs, { pid: 17, pgid: 17, zombie: false, environ: '' }, { pid: 18, pgid: 10, zombie: false, environ: '' }], 10, 16)).toEqual([17]);
});

test('only processes started since the run began are read: an older one with a blank environment (a container init) never holds the sweep', () => {
  const stat = (pid: number, startTicks: number, flags = 0): ProcStat => ({ pid, pgid: pid, start: `b:${startTicks}`, zombie: false, ppid: 1, state: 'S', flags, startTicks });
  const read: number[] = [];
  const environOf = (pid: number) => (read.push(pid), pid === 1 || pid === 30 ? '' : `${RUN_MARK_VAR}=m1\0`);
  const procs = [stat(1, 5), stat(2, 6, 0x00200000), stat(20, 999), stat(30, 1000), stat(31, 1000, 0x00200000), stat(40, 1500)];
  const found = candidatesAmong(procs, 1000, environOf);
  expect(found.map((p) => p.pid)).toEqual([30, 40]);
  // Only the run's own environments are read at all; a blank one among them is still waited on.
  expect(read).toEqual([30, 40]);
  expect(blankPids(found, 1000, 0)).toEqual([30]);
  // Since 0 (the start unknown): every process but kernel threads, the old init's blank included.
  expect(blankPids(candidatesAmong(procs, 0, environOf), 1000, 0)).toEqual([1, 30]);
  // The real table: a start time read for a pid is the one the listing gives it.
  const me = processStartTicks(process.pid)!;
  expect(me).toBeGreaterThan(0);
  expect(listProcStats().find((p) => p.pid === process.pid)?.startTicks).toBe(me);
  expect(candidatesAmong(listProcStats(), me + 1, () => '').some((p) => p.pid === process.pid)).toBe(false);
});

test('a peer turn that leaves processes outside its process group: they are stopped when it ends, and counted', async () => {
  const dir = tempDir('marked-leftovers-');
  const r = await supervise({ argv: ['/bin/sh', '-c', DAEMONS(dir)], cwd: dir, killGraceMs: 500, stopLeftovers: true });
  expect(r.endedBy).toBe('exit');
  const [a, b] = [pidIn(dir, 'a'), pidIn(dir, 'b')];
  // Killed by the time supervise returns; a killed process leaves /proc a moment later.
  await waitFor('the turn\'s leftovers to be gone', () => !isRunning(a) && !isRunning(b), 5_000);
  expect(r.leftoversStopped).toBe(2);
  expect(r.leftoversError).toBeUndefined();
});

test('control: without stopLeftovers (a gate run, supervised as before) the same processes outlive it', async () => {
  const dir = tempDir('marked-leftovers-');
  const r = await supervise({ argv: ['/bin/sh', '-c', DAEMONS(dir)], cwd: dir, killGraceMs: 500 });
  const [a, b] = [pidIn(dir, 'a'), pidIn(dir, 'b')];
  try {
    await waitFor('the run to be over', () => r.endedBy === 'exit');
    expect(isRunning(a) && isRunning(b)).toBe(true);
    expect(r.leftoversStopped).toBeUndefined();
  } finally {
    for (const pid of [a, b]) try { process.kill(pid, 'SIGKILL'); } catch {}
  }
});

test('an honest turn that leaves nothing outside its group reports nothing stopped', async () => {
  const dir = tempDir('marked-leftovers-');
  const r = await supervise({ argv: ['/bin/sh', '-c', 'sleep 30 & echo done'], cwd: dir, killGraceMs: 500, stopLeftovers: true });
  expect(r.stdout).toBe('done\n');
  expect(r.leftoversStopped).toBe(0);
});

test('on the host, a gate run and setup leave no daemon behind either: it could commit in a peer turn or write into the next tree', async () => {
  const dir = tempDir('marked-leftovers-');
  const [r] = await evaluateGates({ checkoutDir: dir, head: 'a'.repeat(40), defaultTimeoutS: 30, goals: [HardGoalSchema.parse({ id: 'g', type: 'hard', cmd: DAEMONS(dir), pass_when: 'exit_code == 0' })] });
  expect(r!.state).toBe('pass');
  const gateLeft = [pidIn(dir, 'a'), pidIn(dir, 'b')];
  const setupDir = tempDir('marked-leftovers-');
  expect(await runSetup(DAEMONS(setupDir), setupDir, undefined)).toBeNull();
  const setupLeft = [pidIn(setupDir, 'a'), pidIn(setupDir, 'b')];
  try {
    await waitFor('what the gate and setup left to be gone', () => [...gateLeft, ...setupLeft].every((pid) => !isRunning(pid)), 5_000);
  } finally {
    for (const pid of [...gateLeft, ...setupLeft]) try { process.kill(pid, 'SIGKILL'); } catch {}
  }
});
