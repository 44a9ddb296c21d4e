/**
 * A second `peers up` while the loop runs, with start flags the loop already runs with, changes
 * nothing and is not refused (sandbox/start-flags-record.ts); the pod's own check of it is in
 * test/e2e/pod-lifecycle.test.ts.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagsNotInEffect, recordedStartFlags, recordStartFlags, START_FLAGS_FILE } from '../../../sandbox/start-flags-record.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'peers-start-flags-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('the flags the loop was started with are in effect; any other still needs a new start', () => {
  recordStartFlags(dir, ['--max-ticks 2', '--no-skeptic', '--allow pypi.org']);
  const recorded = recordedStartFlags(dir);
  expect(recorded).toEqual(['--max-ticks 2', '--no-skeptic', '--allow pypi.org']);
  expect(flagsNotInEffect(['--max-ticks 2'], recorded)).toEqual([]);
  expect(flagsNotInEffect(['--no-skeptic', '--allow pypi.org'], recorded)).toEqual([]);
  expect(flagsNotInEffect(['--max-ticks 3'], recorded)).toEqual(['--max-ticks 3']);
  expect(flagsNotInEffect(['--no-skeptic', '--no-codemap'], recorded)).toEqual(['--no-codemap']);
});

test('a start without flags records none: a flag asked later is not in effect', () => {
  recordStartFlags(dir, ['--no-skeptic']);
  recordStartFlags(dir, []);
  expect(flagsNotInEffect(['--no-skeptic'], recordedStartFlags(dir))).toEqual(['--no-skeptic']);
});

test('acts done once at the start (--reset-peer, --accept-changes) are never in effect: asking again asks for the act', () => {
  recordStartFlags(dir, ['--reset-peer alice', '--accept-changes', '--max-ticks 4']);
  expect(recordedStartFlags(dir)).toEqual(['--max-ticks 4']);
  expect(flagsNotInEffect(['--reset-peer alice', '--accept-changes'], recordedStartFlags(dir))).toEqual(['--reset-peer alice', '--accept-changes']);
});

test('no record, or one that does not read, excuses nothing (the second up is refused as before)', () => {
  expect(recordedStartFlags(dir)).toBeNull();
  expect(flagsNotInEffect(['--no-skeptic'], null)).toEqual(['--no-skeptic']);
  for (const text of ['not json', '{"flags": "--no-skeptic"}', '{"flags": [1]}', '[]']) {
    writeFileSync(join(dir, START_FLAGS_FILE), text);
    expect(recordedStartFlags(dir)).toBeNull();
  }
});
