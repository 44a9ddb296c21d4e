/**
 * A commit whose message carries a terminal control sequence, through the real loop: publishing
 * refuses a run holding one (git would print it to the user's terminal: src/git/history-controls.ts),
 * so one such commit by a hostile peer used to deny the user every result of the run, the honest
 * peer's later work included. The loop now restores HEAD over the turn that made it and tells the
 * peer why, so the run's history stays publishable (SECURITY.md, "Results come back as a branch").
 */
import { afterEach, expect, test } from 'bun:test';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { loop, makeProject, promptOf, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

test("a peer's commit with an ESC sequence in its message is undone with its turn: the peer is told, and the rest of the run publishes", async () => {
  p = makeProject({ peers: { alice: 'terminal-escape-commit', bob: 'terminal-escape-commit' } });
  await loop(p, { maxTicks: 3 });
  const t = ticks(p);
  const [bad, honest, again] = t;
  // alice's turn is restored: HEAD back where it started, the turn failed with the reason.
  expect(bad!.peer).toBe('alice');
  expect(bad!.success).toBe(false);
  expect(bad!.head_after).toBe(bad!.head_before);
  expect(bad!.soft_fail_reason).toMatch(/^commit [0-9a-f]{10} has a control character U\+001B in its message; commit again without it/);
  expect(JSON.stringify(bad!.findings)).not.toContain('\\u001b');
  // ... and kept for the report in the mirror, out of the published history.
  expect(bad!.rewritten_ref).toBe(`refs/peers/rewritten/tick-${String(bad!.tick).padStart(5, '0')}`);
  // bob works on; alice is told why in its next prompt, and commits again without it.
  expect(honest!.success).toBe(true);
  expect(promptOf(p, again!)).toContain('has a control character U+001B in its message; commit again without it');
  expect(again!.success).toBe(true);
  // The run publishes: every commit of it, none carrying the escape.
  const user = join(p.root, 'user');
  gitOk(p.root, ['init', '-q', '-b', 'main', user]);
  const pub = publishRunBranch(user, statePaths(p.stateDir), 'peers/demo');
  expect(pub.note).toBeUndefined();
  expect(pub.updated).toBe(true);
  const log = gitOk(user, ['log', '--format=%an %B', 'peers/demo']);
  expect(log).toContain('work by bob');
  expect(log).toContain('work by alice');
  expect(log).not.toContain('\x1b');
});
