/**
 * Cheat class "hooks that rewrite other peers' commits": git hooks never run in a peer process
 * (core.hooksPath forced through git's environment config), and after every tick the loop finds
 * hooks planted in the repository, disables them and reports them.
 */
import { afterEach, expect, test } from 'bun:test';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { findingKinds, makeCheatProject, reportOf, runCatalogue, ticksOf, type CheatProject } from './catalogue.ts';

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
  expect(readdirSync(join(p.repo, '.git/peers-disabled-hooks'))).toEqual(['tick-1-commit-msg']);
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
