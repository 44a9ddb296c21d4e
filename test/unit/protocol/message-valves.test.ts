/** What an approval request shows of a commit's message: the escape valves an approval of it vouches for. */
import { expect, test } from 'bun:test';
import { formatValves, messageValves } from '../../../src/protocol/message-valves.ts';

test('every valve an approval makes count is listed, a Bug-Resolves only when it records anything but fixed', () => {
  const message = [
    'Add a smoke test',
    '',
    '{"resolves": "BUG-2", "status": "deferred"}',
    'JUSTIFIED-TEST-ONLY: the expected value in the test was out of date',
    `${'x'.repeat(300)} JUSTIFIED-TEST-ONLY: read mid-line too, as anti-cheat.ts does`,
    '',
    'Bug-Defer: BUG-1',
    'Bug-Resolves: BUG-2',
    'Bug-Resolves: BUG-3',
    'bug-reproduce-waive: BUG-4',
    'Diff-Size-Waive: 0123456789ab:src/calc.mjs',
    'Peer: alice',
  ].join('\n');
  expect(messageValves({ message })).toEqual([
    'JUSTIFIED-TEST-ONLY: the expected value in the test was out of date',
    'JUSTIFIED-TEST-ONLY: read mid-line too, as anti-cheat.ts does',
    'Bug-Defer: BUG-1',
    'Bug-Resolves: BUG-2 (deferred)',
    'bug-reproduce-waive: BUG-4',
    'Diff-Size-Waive: 0123456789ab:src/calc.mjs',
  ]);
  expect(formatValves(['Bug-Defer: BUG-1'])).toBe('; its message carries "Bug-Defer: BUG-1" (approving this commit vouches for them too)');
});

test('a message without valves adds nothing; a flood is capped', () => {
  expect(messageValves({ message: 'Fix add()\n\nBug-Resolves: BUG-1\nPeer: alice' })).toEqual([]);
  expect(formatValves([])).toBe('');
  const many = Array.from({ length: 10 }, (_, i) => `Bug-Defer: BUG-${i} ${'x'.repeat(300)}`).join('\n');
  const valves = messageValves({ message: many });
  expect(valves.every((v) => v.length === 160)).toBe(true);
  expect(formatValves(valves)).toContain(' and 4 more (approving');
});
