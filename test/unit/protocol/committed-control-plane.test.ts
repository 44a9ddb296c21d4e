import { expect, test } from 'bun:test';
import { heldControlPlaneFiles } from '../../../src/protocol/committed-control-plane.ts';

const bytes = (s: string) => Buffer.from(s);

test('a file the peers committed under .peers/ holds the run unless it is the snapshot of that file byte for byte; a deletion runs nothing', () => {
  const head: Record<string, string> = { '.peers/lib/calc-impl.mjs': 'export function add() {}', '.peers/goals.yaml': 'goals: []\n', '.peers/config.yaml': 'peers: [x]\n' };
  const snapshot: Record<string, string> = { 'goals.yaml': 'goals: []\n', 'config.yaml': 'peers: []\n' };
  const held = heldControlPlaneFiles(
    [
      { path: '.peers/lib/calc-impl.mjs', deleted: false },
      { path: '.peers/goals.yaml', deleted: false },
      { path: '.peers/config.yaml', deleted: false },
      { path: '.peers/checks/old.sh', deleted: true },
      { path: 'src/calc.mjs', deleted: false },
    ],
    (p) => (head[p] === undefined ? undefined : bytes(head[p]!)),
    (r) => (snapshot[r] === undefined ? undefined : bytes(snapshot[r]!)),
  );
  // The operator's goals as the loop enforces them pass; a changed config and new code hold.
  expect(held).toEqual(['.peers/lib/calc-impl.mjs', '.peers/config.yaml']);
  // Content that cannot be read at HEAD holds (fail closed).
  expect(heldControlPlaneFiles([{ path: '.peers/goals.yaml', deleted: false }], () => undefined, () => bytes('goals: []\n'))).toEqual(['.peers/goals.yaml']);
});
