/**
 * Text fitted to one line (src/cli/fit-line.ts) is cut between words: a new user read
 * "(in a run: the w … ks)" in the loop's console line and a `peers up` reason that ended in
 * "`peers doctor` lists the gates'", both cut inside words.
 */
import { expect, test } from 'bun:test';
import { clipLine, headAndTail } from '../../../src/cli/fit-line.ts';

const reason =
  'cargo: command not found (exit 127): it is not installed where setup runs (in a run: the workspace image, which keeps its base image PATH; `peers doctor` lists the gates\' programs the image lacks and how to build one that has them); exit=127; stderr: /bin/sh: 1: eval: cargo: not found';

const words = (s: string) => new Set(s.replace(/[^A-Za-z0-9 ]+/g, ' ').split(' ').filter(Boolean));

test('head and tail around the ellipsis are whole words, within the width', () => {
  for (const max of [60, 80, 120, 200]) {
    const line = headAndTail(reason, max);
    expect(line.length).toBeLessThanOrEqual(max);
    const [head, tail] = line.split(' … ') as [string, string];
    // Every word shown is a word of the text, not a piece of one.
    for (const w of words(head)) expect(words(reason).has(w), `${max}: "${w}" in "${line}"`).toBe(true);
    for (const w of words(tail)) expect(words(reason).has(w), `${max}: "${w}" in "${line}"`).toBe(true);
    expect(reason.startsWith(head)).toBe(true);
    expect(reason.endsWith(tail)).toBe(true);
  }
  expect(headAndTail(reason, 120)).not.toMatch(/\bthe w\b|\bks\)/);
});

test('a clipped line ends at a word and says it was cut', () => {
  const line = clipLine(reason, 100);
  expect(line.length).toBeLessThanOrEqual(100);
  expect(line).toEndWith(' …');
  for (const w of words(line.slice(0, -2))) expect(words(reason).has(w), w).toBe(true);
});

test('short text is only flattened; a word longer than the room is cut inside, as it must be', () => {
  expect(headAndTail('a  b\n c', 10)).toBe('a b c');
  expect(clipLine('exit 3', 40)).toBe('exit 3');
  const hash = 'x'.repeat(500);
  expect(headAndTail(hash, 50).length).toBe(50);
  expect(clipLine(hash, 50).length).toBe(50);
});
