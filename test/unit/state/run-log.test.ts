import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRunLine, readRunLog, repairTornTail, tickLines } from '../../../src/state/run-log.ts';
import { readStopReason, writeStopReason } from '../../../src/state/stop-reason.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peers-runlog-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tick = (n: number) => ({ event: 'tick' as const, ts: 't', tick: n, peer: 'a', classification: 'success', success: true });

describe('runs.jsonl', () => {
  test('one JSON object per line, tick and exit lines', () => {
    const path = join(dir, 'runs.jsonl');
    appendRunLine(path, tick(1));
    appendRunLine(path, { event: 'exit', ts: 't', reason: 'max_ticks', ticks_in_run: 1, tick: 1 });
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    const log = readRunLog(path);
    expect(log.lines.map((l) => l.event)).toEqual(['tick', 'exit']);
    expect(tickLines(log).map((t) => t.tick)).toEqual([1]);
  });

  test('a torn last line is skipped on read and cut by repair, keeping every whole line', () => {
    const path = join(dir, 'runs.jsonl');
    appendRunLine(path, tick(1));
    appendRunLine(path, tick(2));
    appendFileSync(path, '{"event":"tick","tick":3,"pe');
    const torn = readRunLog(path);
    expect(torn.tornTail).toBe(true);
    expect(torn.skipped).toBe(1);
    expect(tickLines(torn).map((t) => t.tick)).toEqual([1, 2]);
    expect(repairTornTail(path)).toBe(true);
    expect(repairTornTail(path)).toBe(false);
    appendRunLine(path, tick(3));
    const fixed = readRunLog(path);
    expect(fixed.skipped).toBe(0);
    expect(tickLines(fixed).map((t) => t.tick)).toEqual([1, 2, 3]);
  });

  test('a line of the wrong shape is skipped and counted like a torn one, the first with its reason', () => {
    const path = join(dir, 'runs.jsonl');
    appendRunLine(path, tick(1));
    appendFileSync(path, `${JSON.stringify({ ...tick(2), tick: '2' })}\n${JSON.stringify({ ...tick(3), argv: 'sh' })}\n["tick"]\n`);
    appendRunLine(path, tick(4));
    const log = readRunLog(path);
    expect(tickLines(log).map((t) => t.tick)).toEqual([1, 4]);
    expect(log.skipped).toBe(3);
    expect(log.firstSkipped).toBe('line 2: tick: Invalid input: expected number, received string');
  });

  test('a file that is one torn line is emptied; a missing file is fine', () => {
    const path = join(dir, 'runs.jsonl');
    expect(repairTornTail(path)).toBe(false);
    writeFileSync(path, '{"event":');
    expect(repairTornTail(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('');
  });
});

describe('last-stop-reason.txt', () => {
  test('"<reason> <iso>" written atomically and read back', () => {
    const path = join(dir, 'last-stop-reason.txt');
    writeStopReason(path, { kind: 'budget', cap: 'max_usd' }, new Date('2026-01-02T03:04:05Z'));
    expect(readFileSync(path, 'utf8')).toBe('budget:max_usd 2026-01-02T03:04:05.000Z\n');
    expect(readStopReason(path)).toEqual({ reason: 'budget:max_usd', at: '2026-01-02T03:04:05.000Z' });
  });
});
