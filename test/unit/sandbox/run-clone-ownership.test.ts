/**
 * A repository owned by another user (a shared checkout, a mounted volume), which the user made
 * usable with `safe.directory` in their global git configuration: `init`, `verify` and `doctor`
 * worked, and `peers up` failed with an internal error, for the hermetic git that imports the
 * user's history into the run's mirror reads no global configuration ("detected dubious
 * ownership"). The user's own system and global `safe.directory` entries are passed to those calls
 * (src/git/safe-directory.ts). Needs root, to own a repository as another user.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths } from '../../../src/state/paths.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';
import { observedHead } from '../../../src/git/observer.ts';

const otherUid = spawnSync('id', ['-u', 'peerstest'], { encoding: 'utf8' }).stdout.trim();
// A reason, not a silence: only root can make a repository another user owns (CI runs as root).
const canOwnAsAnother = process.getuid?.() === 0 && /^\d+$/.test(otherUid);

let root: string;
const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-ownership-'));
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(root, { recursive: true, force: true });
});

test.skipIf(!canOwnAsAnother)("a repository another user owns that the user's global safe.directory names becomes the run's clone", () => {
  const repo = join(root, 'shared-lib');
  const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), '# lib\n');
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', ['-C', repo, ...id, 'commit', '-qm', 'start']);
  const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  execFileSync('chown', ['-R', `${otherUid}:${otherUid}`, repo]);
  const globalConfig = join(root, 'gitconfig');
  writeFileSync(globalConfig, `[safe]\n\tdirectory = ${repo}\n`);
  process.env.GIT_CONFIG_GLOBAL = globalConfig;
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  // The user's own git reads it.
  expect(spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim()).toBe(head);
  const paths = statePaths(join(root, 'state'));
  const clone = prepareRunClone(repo, paths);
  expect(clone.base).toBe(head);
  expect(observedHead(paths.mirror)).toBe(head);
});

test.skipIf(!canOwnAsAnother)('a repository another user owns that the user does not trust is bad input that says why and what to do, not an internal error', () => {
  const repo = join(root, 'their-lib');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'start']);
  execFileSync('chown', ['-R', `${otherUid}:${otherUid}`, repo]);
  process.env.GIT_CONFIG_GLOBAL = join(root, 'no-gitconfig');
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  let thrown: unknown;
  try {
    prepareRunClone(repo, statePaths(join(root, 'state')));
  } catch (error) {
    thrown = error;
  }
  expect((thrown as Error).name).toBe('InputError');
  expect((thrown as Error).message).toContain('dubious ownership');
});
