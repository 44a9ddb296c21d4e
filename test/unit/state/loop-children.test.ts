import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTimeMs, listProcesses, processIdentity, type ProcIdentity } from '../../../src/proc/proc-table.ts';
import { supervise } from '../../../src/proc/supervise.ts';
import { LOOP_OWNER_VAR, markedStrays, orphanGroups, readLoopChildren, reapLeftChildren, trackLoopChildren, type LoopChildren } from '../../../src/state/loop-children.ts';

const B = 'boot-a';
const proc = (pid: number, pgid: number, ticks: number, zombie = false): ProcIdentity => ({ pid, pgid, start: `${B}:${ticks}`, zombie });
const record = (children: LoopChildren['children'], owner = { pid: 100, start: `${B}:10` }): LoopChildren => ({ owner, children });
const child = (pid: number, ticks: number, program = 'claude') => ({ pid, pgid: pid, start: `${B}:${ticks}`, program, since: '2025-01-01T00:00:00Z' });
const self = { pid: 900, pgid: 900 };

describe('markedStrays (children a dead loop started but had not recorded yet)', () => {
  const marks: Record<number, string> = { 200: `100:${B}:10`, 201: `100:${B}:10`, 300: `100:${B}:9`, 400: `100:${B}:10`, 500: `100:${B}:10`, 900: `100:${B}:10` };
  const markOf = (pid: number) => marks[pid];
  test('every running process carrying the dead owner\'s mark, started after it; nothing else', () => {
    const table = [proc(200, 200, 50), proc(201, 200, 51), proc(300, 300, 60), proc(400, 400, 5), proc(500, 500, 70, true), proc(600, 600, 80), proc(900, 900, 99)];
    // 300: another owner's mark; 400: older than the owner; 500: a zombie; 600: no mark; 900: ourselves.
    expect(markedStrays(record([]), table, markOf, self)).toEqual([200, 201]);
  });
  test('a live owner, or one without a start time, marks nothing as a stray', () => {
    const table = [proc(100, 100, 10), proc(200, 200, 50)];
    expect(markedStrays(record([]), table, markOf, self)).toEqual([]);
    expect(markedStrays(record([], { pid: 100, start: null as unknown as string }), [proc(200, 200, 50)], markOf, self)).toEqual([]);
  });
});

describe('orphanGroups (which groups a dead loop left)', () => {
  test('a dead owner: every child group still running with its recorded start time', () => {
    const table = [proc(200, 200, 50), proc(201, 200, 51), proc(300, 300, 60), proc(900, 900, 99)];
    expect(orphanGroups(record([child(200, 50), child(300, 60, 'sh')]), table, self)).toEqual([
      { pgid: 200, program: 'claude', pids: [200, 201] },
      { pgid: 300, program: 'sh', pids: [300] },
    ]);
  });

  test('a live owner (same pid, same start): nothing is touched', () => {
    const table = [proc(100, 100, 10), proc(200, 200, 50)];
    expect(orphanGroups(record([child(200, 50)]), table, self)).toEqual([]);
  });

  test('the owner pid reused by another process counts as dead', () => {
    const table = [proc(100, 100, 77), proc(200, 200, 50)];
    expect(orphanGroups(record([child(200, 50)]), table, self).map((g) => g.pgid)).toEqual([200]);
  });

  test('a recycled child pid (another start time) is never killed, nor its group', () => {
    const table = [proc(200, 200, 999), proc(201, 200, 1000)];
    expect(orphanGroups(record([child(200, 50)]), table, self)).toEqual([]);
  });

  test('a leader gone while its group runs on: the members are stopped', () => {
    const table = [proc(201, 200, 51), proc(202, 200, 52)];
    expect(orphanGroups(record([child(200, 50)]), table, self)).toEqual([{ pgid: 200, program: 'claude', pids: [201, 202] }]);
  });

  test('zombies, processes older than the child, other boots, unknown start times and our own group are left alone', () => {
    const table = [proc(200, 200, 50, true), proc(201, 200, 40), { pid: 202, pgid: 200, start: 'boot-b:60', zombie: false }, proc(900, 900, 99), proc(901, 900, 99)];
    const left = record([child(200, 50), { ...child(400, 1), start: null }, { ...child(900, 99), pgid: 900 }]);
    expect(orphanGroups(left, table, self)).toEqual([]);
  });
});

describe('children.json', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a damaged record holds the run with the file named (exit 2)', () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    writeFileSync(path, '{"owner": {"pid": "x"}}');
    expect(() => readLoopChildren(path)).toThrow(path);
    try {
      readLoopChildren(path);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });

  test('a record torn before this boot (it is written without fsync) lists nothing: no process survives a reboot', () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    writeFileSync(path, '{"owner": {"pi');
    const boot = bootTimeMs();
    expect(boot).not.toBeNull();
    utimesSync(path, new Date(boot! - 60_000), new Date(boot! - 60_000));
    expect(readLoopChildren(path)).toBeNull();
    // The same damage written since boot still holds the run.
    utimesSync(path, new Date(), new Date());
    expect(() => readLoopChildren(path)).toThrow(path);
  });

  test('supervised children are recorded while they run, with group and start time, and removed when done', async () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    const stop = trackLoopChildren(path, () => {});
    try {
      const run = supervise({ argv: ['/bin/sh', '-c', 'echo up; sleep 1'], cwd: dir, onOutput: () => undefined });
      // Recorded synchronously at spawn: the record already holds the child.
      const seen = readLoopChildren(path);
      expect(seen!.owner.pid).toBe(process.pid);
      expect(seen!.children).toHaveLength(1);
      const c = seen!.children[0]!;
      expect(c.pgid).toBe(c.pid);
      expect(c.start).toBe(processIdentity(c.pid)!.start);
      await run;
      // Dropped soon after (END_WRITE_DELAY_MS), when no other child starts meanwhile.
      const end = Date.now() + 5000;
      while (readLoopChildren(path)!.children.length && Date.now() < end) await Bun.sleep(10);
      expect(readLoopChildren(path)!.children).toEqual([]);
    } finally {
      stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  test('a child that ended and the next one started share one write of the record; an exit leaves no stale record', async () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    const stop = trackLoopChildren(path, () => {});
    let stopped = false;
    try {
      const first = supervise({ argv: ['/bin/sh', '-c', 'exit 0'], cwd: dir });
      const firstPid = readLoopChildren(path)!.children[0]!.pid;
      expect((await first).exitCode).toBe(0);
      // Not written at once: the write that drops it waits for the next start.
      expect(readLoopChildren(path)!.children.map((c) => c.pid)).toEqual([firstPid]);
      const next = supervise({ argv: ['/bin/sh', '-c', 'sleep 1'], cwd: dir });
      const seen = readLoopChildren(path)!.children;
      expect(seen).toHaveLength(1);
      expect(seen[0]!.pid).not.toBe(firstPid);
      // The second ends and the loop stops before the delayed write: the record goes with it.
      await next;
      stop();
      stopped = true;
      expect(existsSync(path)).toBe(false);
    } finally {
      if (!stopped) stop();
    }
  });

  test('reapLeftChildren stops a dead loop\'s group, waits for it, and removes the record', async () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    // A detached group standing in for an orphaned peer (its "loop", pid 1 here, is not our kind).
    const orphan = Bun.spawn(['setsid', '/bin/sh', '-c', 'sleep 300 & wait'], { stdout: 'ignore', stderr: 'ignore' });
    // Wait for the leader and its background child to be up.
    let leader: ProcIdentity | null = null;
    let members: number[] = [];
    const end = Date.now() + 5000;
    while (members.length < 2 && Date.now() < end) {
      leader = listProcesses().find((p) => p.pid === orphan.pid && p.pgid === orphan.pid) ?? null;
      members = leader ? listProcesses().filter((p) => p.pgid === leader!.pgid && !p.zombie).map((p) => p.pid) : [];
      if (members.length < 2) await Bun.sleep(20);
    }
    expect(leader).not.toBeNull();
    expect(members.length).toBe(2);
    writeFileSync(path, JSON.stringify(record([{ pid: leader!.pid, pgid: leader!.pgid, start: leader!.start, program: '/usr/bin/claude', since: 'x' }], { pid: 1, start: 'not-pid-1' })));
    const reaped = await reapLeftChildren(path);
    expect(reaped!.groups.map((g) => g.pgid)).toEqual([leader!.pgid]);
    expect(reaped!.survivors).toEqual([]);
    for (const pid of members) expect(processIdentity(pid)?.zombie ?? true).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  test('reapLeftChildren also stops a child the dead loop started but never recorded (found by its mark), with what it started', async () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const path = join(dir, 'children.json');
    const gone = Bun.spawn(['true']);
    await gone.exited;
    const boot = processIdentity(process.pid)!.start.split(':')[0];
    const owner = { pid: gone.pid, start: `${boot}:0` };
    const orphan = Bun.spawn(['setsid', '/bin/sh', '-c', 'sleep 300 & wait'], { stdout: 'ignore', stderr: 'ignore', env: { ...process.env, [LOOP_OWNER_VAR]: `${owner.pid}:${owner.start}` } });
    let members: number[] = [];
    const end = Date.now() + 5000;
    while (members.length < 2 && Date.now() < end) {
      members = listProcesses().filter((p) => p.pgid === orphan.pid && !p.zombie).map((p) => p.pid);
      if (members.length < 2) await Bun.sleep(20);
    }
    expect(members.length).toBe(2);
    writeFileSync(path, JSON.stringify(record([], owner)));
    const reaped = await reapLeftChildren(path);
    expect(reaped!.groups.flatMap((g) => g.pids).sort()).toEqual([...members].sort());
    expect(reaped!.survivors).toEqual([]);
    for (const pid of members) expect(processIdentity(pid)?.zombie ?? true).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  test('every supervised child carries the loop\'s mark from its first instruction', async () => {
    dir = mkdtempSync(join(tmpdir(), 'children-'));
    const stop = trackLoopChildren(join(dir, 'children.json'), () => {});
    let out = '';
    try {
      await supervise({ argv: ['/bin/sh', '-c', `echo "$${LOOP_OWNER_VAR}"`], cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, onOutput: (_s, t) => void (out += t) });
    } finally {
      stop();
    }
    expect(out.trim()).toBe(`${process.pid}:${processIdentity(process.pid)!.start}`);
  });
});
