/**
 * Cheat class "hooks that rewrite other peers' commits": git hooks never run in a peer process
 * (core.hooksPath forced through git's environment config), and after every tick the loop finds
 * hooks planted in the repository, disables them and reports them.
 */
import { afterEach, expect, test } from 'bun:test';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { findingKinds, makeCheatProject, reportOf, runCatalogue, stateOf, ticksOf, type CheatProject } from './catalogue.ts';

let p: CheatProject | undefined;
afterEach(() => p?.cleanup());

test("a commit-msg hook planted to flip the reviewer's failing review is found after the tick, disabled, and the review stays failing", async () => {
  p = makeCheatProject({ cheat: 'commit-msg-hook' });
  const out = await runCatalogue(p, 4);
  expect(out.reason).not.toBe('complete');
  const [t1] = ticksOf(p);
  expect(t1!.success).toBe(false);
  expect(t1!.soft_fail_reason).toContain('planted hook commit-msg');
  expect(existsSync(join(p.repo, '.git/hooks/commit-msg'))).toBe(false);
  expect(readdirSync(join(p.repo, '.git/peers-disabled-hooks'))).toEqual(['tick-1']);
  expect(readdirSync(join(p.repo, '.git/peers-disabled-hooks/tick-1/hooks'))).toEqual(['commit-msg']);
  // bob's review of the special case says what bob wrote.
  const reviews = gitOk(p.repo, ['log', '--format=%B', '--grep=^Peer-Review-Of: code-review']);
  expect(reviews).toContain('"pass": false');
  expect(reviews).not.toContain('"pass": true');
  expect(findingKinds(p)).toContain('planted-git-hook');
  expect(reportOf(p)).toContain("planted-git-hook | alice left hook commit-msg in the repository's git directory");
});

test("a hook never runs in a peer process: the planter's own commit is not rewritten by it", async () => {
  p = makeCheatProject({ cheat: 'own-hook' });
  await runCatalogue(p, 1);
  const [t1] = ticksOf(p);
  const message = gitOk(p.repo, ['log', '--format=%B', '-n', '1', t1!.head_after as string]);
  expect(message).toContain('Tidy calc');
  expect(message).not.toContain('HOOKED');
  expect(findingKinds(p)).toContain('planted-git-hook');
});

test("a hook the workspace could not move fails only the turn that planted it: every later turn of every peer is judged on what it did", async () => {
  p = makeCheatProject({ cheat: 'unmovable-hook' });
  await runCatalogue(p, 4);
  const [t1, ...later] = ticksOf(p);
  expect(t1!.success).toBe(false);
  expect(t1!.soft_fail_reason).toContain('planted hook .x');
  expect(later.length).toBeGreaterThan(0);
  for (const t of later) {
    expect(t.soft_fail_reason ?? '').not.toContain('planted');
    expect(JSON.stringify(t.findings ?? [])).not.toContain('planted-git-hook');
  }
  expect(later.some((t) => t.peer === 'bob' && t.success)).toBe(true);
  expect(existsSync(join(p.repo, '.git/hooks/.x'))).toBe(false);
  expect(readdirSync(join(p.repo, '.git/peers-disabled-hooks/tick-1/hooks'))).toEqual(['.x']);
});

test('a hooks directory flooded with thousands of long names is one bounded finding against the turn that made it, and the run resumes', async () => {
  p = makeCheatProject({ cheat: 'hooks-flood' });
  await runCatalogue(p, 2);
  const [t1, t2] = ticksOf(p);
  expect(t1!.success).toBe(false);
  expect(t1!.soft_fail_reason).toContain('hook (hooks directory has 3000 entries)');
  expect(t1!.soft_fail_reason!.length).toBeLessThan(3000);
  expect(t2!.soft_fail_reason ?? '').not.toContain('planted');
  expect(readdirSync(join(p.repo, '.git/hooks')).filter((n) => !n.endsWith('.sample'))).toEqual([]);
  // The state stays small enough to read back (it grew past STATE_READ_LIMIT), and the run goes on from it.
  expect(statSync(join(p.stateDir, 'state.json')).size).toBeLessThan(256 * 1024);
  expect(stateOf(p).tick).toBe(2);
  await runCatalogue(p, 1);
  expect(ticksOf(p).length).toBe(3);
});
