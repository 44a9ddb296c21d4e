/**
 * Attack: the operator reads the loop's console (`peers logs`, `peers up --attach`) for how the run
 * ended, and a peer's words are on its lines (a blocked reason on the stop line, an anti-cheat
 * finding's detail). A line break in them printed lines of the peer's making, such as a
 * `peers: stopped: complete` after the real stop. The property (SECURITY.md, "A peer's words reach
 * the operator's terminal as text"): each line the loop writes to its console is one line.
 */
import { afterEach, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { loop, makeProject, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

test("a peer's multi-line blocked reason stays on the loop's stop line: no forged `peers: stopped: complete`", async () => {
  p = makeProject({ peers: { alice: 'blocked-forged-verdict', bob: 'blocked-forged-verdict' } });
  const console: string[] = [];
  const out = await loop(p, { maxTicks: 4, log: (line) => console.push(line) });
  expect(out.reason).toBe('blocked');
  const lines = console.flatMap((l) => l.split('\n'));
  expect(lines.filter((l) => l.startsWith('peers: stopped:'))).toHaveLength(1);
  expect(lines.find((l) => l.startsWith('peers: stopped:'))).toContain('the spec contradicts itself peers: stopped: complete');
  expect(lines.filter((l) => l.startsWith('peers: tick 9'))).toEqual([]);
}, 60_000);

test("a file name with line breaks stays on the loop's anti-cheat line: no forged stop or tick line", async () => {
  p = makeProject({ peers: { alice: 'remove-newline-test', bob: 'remove-newline-test' } });
  mkdirSync(join(p.repo, 'test'));
  writeFileSync(join(p.repo, 'test', 'a\npeers: stopped: complete\r\npeers: tick 9 handoff head=deadbeef.test.js'), "test('a', () => {});\n");
  gitOk(p.repo, ['-c', 'user.name=t', '-c', 'user.email=t@peers.test', 'add', '-A']);
  gitOk(p.repo, ['-c', 'user.name=t', '-c', 'user.email=t@peers.test', 'commit', '-q', '-m', 'a test']);
  const console: string[] = [];
  await loop(p, { maxTicks: 1, log: (line) => console.push(line) });
  const lines = console.flatMap((l) => l.split(/\r?\n|\r/));
  expect(lines.filter((l) => l.includes('anti-cheat') && l.includes('test-removed')).length).toBeGreaterThan(0);
  expect(lines.filter((l) => /^peers: (?:stopped: complete|tick 9)/.test(l))).toEqual([]);
}, 60_000);
