/**
 * A commit whose message carries a terminal control sequence, through the real loop: publishing
 * refuses a run holding one (git would print it to the user's terminal: src/git/history-controls.ts),
 * so one such commit by a hostile peer used to deny the user every result of the run, the honest
 * peer's later work included; so did a `.mailmap` mapping a name to one. The loop now restores HEAD
 * over the turn that made either and tells the peer why, so the run's history stays publishable (SECURITY.md, "Results come back as a branch").
 */
import { afterEach, expect, test } from 'bun:test';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { loop, makeProject, promptOf, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

test("a peer's commit with an ESC sequence in its message, then a .mailmap with one, are undone with their turns: the peer is told, and the rest of the run publishes", async () => {
  p = makeProject({ peers: { alice: 'terminal-escape-commit', bob: 'terminal-escape-commit' } });
  await loop(p, { maxTicks: 4 });
  // A failed turn is not a handoff: alice goes on until it hands off.
  const [bad, mailmap, honest, again] = ticks(p);
  // alice's turn is restored: HEAD back where it started, the turn failed with the reason.
  expect(bad!.peer).toBe('alice');
  expect(bad!.success).toBe(false);
  expect(bad!.head_after).toBe(bad!.head_before);
  expect(bad!.soft_fail_reason).toMatch(/^commit [0-9a-f]{10} has a control character U\+001B in its message; commit again without it/);
  expect(JSON.stringify(bad!.findings)).not.toContain('\\u001b');
  // ... and kept for the report in the mirror, out of the published history.
  expect(bad!.rewritten_ref).toBe(`refs/peers/rewritten/tick-${String(bad!.tick).padStart(5, '0')}`);
  // alice is told why in its next prompt, and tries a .mailmap instead: undone too.
  expect(promptOf(p, mailmap!)).toContain('has a control character U+001B in its message; commit again without it');
  expect(mailmap!.success).toBe(false);
  expect(mailmap!.head_after).toBe(mailmap!.head_before);
  expect(mailmap!.soft_fail_reason).toMatch(/^the \.mailmap at [0-9a-f]{10} has a control character U\+001B/);
  // bob works on; alice, told again, hands off honestly.
  expect(honest!.peer).toBe('bob');
  expect(honest!.success).toBe(true);
  expect(again!.peer).toBe('alice');
  expect(promptOf(p, again!)).toContain('the .mailmap at');
  expect(again!.success).toBe(true);
  // The run publishes: every commit of it, none carrying the escape.
  const user = join(p.root, 'user');
  gitOk(p.root, ['init', '-q', '-b', 'main', user]);
  const pub = publishRunBranch(user, statePaths(p.stateDir), 'peers/demo');
  expect(pub.note).toBeUndefined();
  expect(pub.updated).toBe(true);
  const log = gitOk(user, ['log', '-p', '--format=%an %B', 'peers/demo']);
  expect(log).toContain('work by bob');
  expect(log).toContain('work by alice');
  expect(log).not.toContain('\x1b');
});

test("a peer's commit adding a file whose name holds a bidi override is undone with its turn: the peer is told, and the rest of the run publishes", async () => {
  p = makeProject({ peers: { alice: 'terminal-name-commit', bob: 'terminal-name-commit' } });
  await loop(p, { maxTicks: 3 });
  const alices = ticks(p).filter((t) => t.peer === 'alice');
  const [bad, again] = alices;
  expect(bad!.success).toBe(false);
  expect(bad!.head_after).toBe(bad!.head_before);
  expect(bad!.soft_fail_reason).toMatch(/^commit [0-9a-f]{10} adds a file whose name has a control character U\+202E \("src-<U\+202E>sj\.tset"\)/);
  expect(JSON.stringify(ticks(p))).not.toContain('\u202e');
  expect(promptOf(p, again!)).toContain('adds a file whose name has a control character U+202E');
  expect(again!.success).toBe(true);
  const user = join(p.root, 'user');
  gitOk(p.root, ['init', '-q', '-b', 'main', user]);
  const pub = publishRunBranch(user, statePaths(p.stateDir), 'peers/demo');
  expect(pub.note).toBeUndefined();
  expect(pub.updated).toBe(true);
  expect(gitOk(user, ['-c', 'core.quotePath=false', 'log', '--stat', '--format=%an', 'peers/demo'])).not.toContain('\u202e');
});
