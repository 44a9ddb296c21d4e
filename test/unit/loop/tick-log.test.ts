import { afterEach, beforeEach, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TickLog } from '../../../src/loop/shell/tick-log.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'peers-ticklog-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const out = (stream = 'stdout') => readFileSync(join(dir, `tick-00003-alice.${stream}.log`), 'utf8');
const done = (stdout: string, stderr = '', truncated = false) => ({ stdout, stderr, stdoutTruncated: truncated, stderrTruncated: false });

test('output is on disk as it arrives, before the turn ends; an empty stream leaves no file', () => {
  const log = new TickLog(dir, 3, 'alice', 1024);
  log.write('stdout', 'step 1\n');
  expect(out()).toBe('step 1\n');
  log.write('stdout', 'step 2\n');
  expect(out()).toBe('step 1\nstep 2\n');
  log.finish(done('step 1\nstep 2\n'));
  expect(out()).toBe('step 1\nstep 2\n');
  expect(existsSync(join(dir, 'tick-00003-alice.stderr.log'))).toBe(false);
  expect(statSync(join(dir, 'tick-00003-alice.stdout.log')).mode & 0o777).toBe(0o600);
});

test('output the live stream missed (after a kill) is appended from the final capture', () => {
  const log = new TickLog(dir, 3, 'alice', 1024);
  log.write('stderr', 'working\n');
  log.finish(done('', 'working\nTerminated by grace period\n'));
  expect(out('stderr')).toBe('working\nTerminated by grace period\n');
});

test('a flood is capped: the first half of the cap live, then a marker counting what was left out, then the last half', () => {
  const log = new TickLog(dir, 3, 'alice', 100);
  log.write('stdout', `${'a'.repeat(40)}\n`);
  for (let i = 0; i < 50; i++) log.write('stdout', `line ${i} ${'x'.repeat(40)}\n`);
  expect(out().length).toBe(50); // nothing past half the cap while the turn runs
  log.finish(done('(head+tail capture)', '', true));
  const text = out();
  expect(text.startsWith(`${'a'.repeat(40)}\n`)).toBe(true);
  const marker = text.match(/\n\[peers: (\d+) bytes of output left out here \(over the 100-byte log cap\); the last 50 follow\]\n/);
  expect(marker).not.toBeNull();
  const total = 41 + 50 * `line 00 ${'x'.repeat(40)}\n`.length - 10;
  expect(Number(marker![1])).toBe(total - 100);
  expect(text.endsWith(`line 49 ${'x'.repeat(40)}\n`)).toBe(true);
  expect(text.length - marker![0].length).toBe(100);
});

test('however a flood is chunked, the log holds its first and last bytes and never more than the cap and one marker', () => {
  const flood = `HEAD${'x'.repeat(10_000)}TAIL`;
  for (const size of [1, 7, 64, 4096, flood.length]) {
    rmSync(join(dir, 'tick-00003-alice.stdout.log'), { force: true });
    const log = new TickLog(dir, 3, 'alice', 1000);
    for (let i = 0; i < flood.length; i += size) log.write('stdout', flood.slice(i, i + size));
    log.finish(done('(capture)', '', true));
    const text = out();
    expect(text.startsWith('HEAD')).toBe(true);
    expect(text.endsWith('TAIL')).toBe(true);
    expect(text.replace(/\n\[peers: [^\]]*\]\n/, '').length).toBe(1000);
  }
});

test('output between half the cap and the cap is kept whole, with no marker', () => {
  const log = new TickLog(dir, 3, 'alice', 100);
  const text = `${'a'.repeat(45)}\n${'b'.repeat(45)}\n`;
  log.write('stdout', text.slice(0, 30));
  log.write('stdout', text.slice(30));
  log.finish(done(text));
  expect(out()).toBe(text);
});

test('a tail cut inside a multi-byte character starts at the next whole one', () => {
  const log = new TickLog(dir, 3, 'alice', 20);
  log.write('stdout', `${'a'.repeat(10)}${'é'.repeat(30)}`);
  log.finish(done('(capture)', '', true));
  expect(out()).not.toContain('\uFFFD');
  expect(out().endsWith('é')).toBe(true);
});

test('the same tick run again after a crash appends after a marker instead of erasing what was printed', () => {
  writeFileSync(join(dir, 'tick-00003-alice.stdout.log'), 'before the crash\n');
  const log = new TickLog(dir, 3, 'alice', 1024);
  log.write('stdout', 'again\n');
  log.finish(done('again\n'));
  expect(out()).toBe('before the crash\n\n[peers: the loop restarted; this tick runs again]\nagain\n');
});

test('a symlink planted at the log path is not followed; the turn goes on', () => {
  const target = join(dir, 'elsewhere.txt');
  writeFileSync(target, 'untouched\n');
  symlinkSync(target, join(dir, 'tick-00003-alice.stdout.log'));
  const notes: string[] = [];
  const log = new TickLog(dir, 3, 'alice', 1024, (n) => notes.push(n));
  log.write('stdout', 'data\n');
  log.finish(done('data\n'));
  expect(readFileSync(target, 'utf8')).toBe('untouched\n');
  expect(notes.join('\n')).toContain('could not write');
});
