import { afterEach, beforeEach, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressOldLogs } from '../../../src/loop/shell/peer-turn.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peers-logs-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('old per-tick logs beyond the kept count are gzipped, newest stay plain, content is preserved', () => {
  for (let i = 1; i <= 5; i++) writeFileSync(join(dir, `tick-${String(i).padStart(5, '0')}-a.stdout.log`), `output of tick ${i}\n`);
  compressOldLogs(dir, 3);
  expect(readdirSync(dir).sort()).toEqual([
    'tick-00001-a.stdout.log.gz',
    'tick-00002-a.stdout.log.gz',
    'tick-00003-a.stdout.log',
    'tick-00004-a.stdout.log',
    'tick-00005-a.stdout.log',
  ]);
  expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(readFileSync(join(dir, 'tick-00001-a.stdout.log.gz')))))).toBe('output of tick 1\n');
});
