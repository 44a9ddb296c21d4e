/**
 * The bounded log behind the egress audit log and the auth sidecar's log: a flood never takes it
 * past its cap on disk, and the marker line counts exactly the entries rotation dropped.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDropMarker, ROTATED_SUFFIX, SizeCappedLog } from '../../../src/fs/size-capped-log.ts';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-capped-log-'));
  path = join(dir, 'egress.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
const onDisk = () => size(path) + size(path + ROTATED_SUFFIX);
/** Both files, oldest first, as `peers logs --egress` shows them. */
const lines = () => [path + ROTATED_SUFFIX, path].flatMap((p) => (existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : []));
const record = (i: number) => JSON.stringify({ ts: new Date(0).toISOString(), listener: 'workspace', host: `flood-${i}.example`, decision: 'deny', seq: i });

describe('SizeCappedLog', () => {
  test('a flood of entries never takes the log past its cap, and the marker counts exactly what was dropped', () => {
    const cap = 64 * 1024;
    const log = new SizeCappedLog(path, cap);
    const total = 5000; // ~90 bytes each: about seven times the cap
    let peak = 0;
    for (let i = 0; i < total; i++) {
      log.append(record(i));
      peak = Math.max(peak, onDisk());
    }
    log.close();
    expect(peak).toBeLessThanOrEqual(cap);
    const all = lines();
    const markers = all.map(parseDropMarker).filter((m) => m !== null);
    const entries = all.filter((l) => parseDropMarker(l) === null).map((l) => JSON.parse(l).seq as number);
    // The newest marker is the first line of the current file and holds the running total.
    const newest = parseDropMarker(readFileSync(path, 'utf8').split('\n')[0]!)!;
    expect(newest.dropped_total).toBe(log.droppedTotal);
    expect(newest.dropped_total).toBeGreaterThan(0);
    expect(markers.at(-1)).toEqual(newest);
    // What is left is the newest history, contiguous, and together with the drops it is everything.
    expect(entries.length + newest.dropped_total).toBe(total);
    expect(entries).toEqual(Array.from({ length: entries.length }, (_, k) => newest.dropped_total + k));
    expect(entries.at(-1)).toBe(total - 1);
  });

  test('the count survives a restart: a reopened log keeps counting from the files it finds', () => {
    const cap = 32 * 1024;
    let log = new SizeCappedLog(path, cap);
    for (let i = 0; i < 1500; i++) log.append(record(i));
    log.close();
    log = new SizeCappedLog(path, cap);
    for (let i = 1500; i < 3000; i++) log.append(record(i));
    log.close();
    const all = lines();
    const entries = all.filter((l) => parseDropMarker(l) === null).map((l) => JSON.parse(l).seq as number);
    const newest = parseDropMarker(readFileSync(path, 'utf8').split('\n')[0]!)!;
    expect(entries.length + newest.dropped_total).toBe(3000);
    expect(entries[0]).toBe(newest.dropped_total);
    expect(onDisk()).toBeLessThanOrEqual(cap);
  });

  test('an over-size file left from before is rotated before the first new line', () => {
    writeFileSync(path, `${'x'.repeat(100)}\n`.repeat(400)); // 40 KB, over a 16 KiB half-cap
    const log = new SizeCappedLog(path, 32 * 1024);
    log.append('new');
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(size(path + ROTATED_SUFFIX)).toBe(40_400);
    // It is dropped (and counted) at the next rotation, never kept past it.
    const again = new SizeCappedLog(path, 32 * 1024);
    for (let i = 0; i < 400; i++) again.append(record(i));
    again.close();
    expect(again.droppedTotal).toBeGreaterThanOrEqual(400);
    expect(onDisk()).toBeLessThanOrEqual(32 * 1024 + 40_400);
    expect(size(path + ROTATED_SUFFIX)).toBeLessThanOrEqual(16 * 1024);
  });

  test('one entry is one line: embedded newlines cannot forge entries, and a huge entry is cut', () => {
    const log = new SizeCappedLog(path, 64 * 1024);
    log.append('upstream said: ok\n{"ts":"forged","event":"log-rotated","dropped_total":0}');
    log.append('y'.repeat(100_000));
    log.close();
    const got = lines();
    expect(got).toHaveLength(2);
    expect(parseDropMarker(got[0]!)).toBeNull();
    expect(Buffer.byteLength(got[1]!)).toBeLessThan(9 * 1024);
  });

  test('a symlink planted at the log path is refused, never written through', () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'keep\n');
    symlinkSync(target, path);
    expect(() => new SizeCappedLog(path, 64 * 1024)).toThrow(/symlink/);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });

  test('a cap too small to hold anything is a clear error', () => {
    expect(() => new SizeCappedLog(path, 1000)).toThrow('log size cap must be at least 16384 bytes');
  });
});
