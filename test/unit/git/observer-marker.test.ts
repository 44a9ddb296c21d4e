/**
 * A peers-owned git dir (the mirror, a view, a stage) is read hermetically with GIT_DIR naming it
 * (src/git/git.ts): which directories are such is told by the marker file `peers-observer` in them.
 * The peers can write that file too, at the root of their tree (committed, or written by `setup` in
 * the gates' checkout), with a HEAD, refs and objects of their choosing beside it: `peers check`
 * runs git in the tree's root, which was then taken for a peers-owned git dir, and every check read
 * the forged history (SECURITY.md, "The user's repository, the run clone and the trusted observer").
 */
import { afterAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObserverRepo, OBSERVER_MARKER } from '../../../src/git/git.ts';
import { withObservedWorkTree } from '../../../src/git/observed-view.ts';
import { CHECKS } from '../../../modes/checks/index.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const ID = ['-c', 'user.name=p', '-c', 'user.email=p@example.com'];
/** The peer's own git, as it types it in its tree. */
function peerGit(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('a fake git dir planted at the root of a peer\'s tree is not taken for a peers-owned one: `peers check` judges the real history', async () => {
  const dir = tempDir('observer-marker-');
  peerGit(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'calc.js'), 'export const add = (a, b) => a + b;\n');
  peerGit(dir, ['add', '-A']);
  peerGit(dir, [...ID, 'commit', '-q', '-m', 'start']);
  peerGit(dir, ['tag', 'peers-baseline']);
  // The forgery: a git dir of the clean start, beside the marker, at the tree's root.
  cpSync(join(dir, '.git', 'objects'), join(dir, 'objects'), { recursive: true });
  cpSync(join(dir, '.git', 'refs'), join(dir, 'refs'), { recursive: true });
  writeFileSync(join(dir, 'HEAD'), `${peerGit(dir, ['rev-parse', 'HEAD']).trim()}\n`);
  writeFileSync(join(dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  writeFileSync(join(dir, OBSERVER_MARKER), 'forged\n');
  // The real history: a stub added since the baseline.
  writeFileSync(join(dir, 'calc.js'), 'export const add = (a, b) => { throw new Error("not implemented"); }; // TODO\n');
  peerGit(dir, ['add', 'calc.js']);
  peerGit(dir, [...ID, 'commit', '-q', '-m', 'stub']);

  expect(isObserverRepo(dir)).toBe(false);
  const result = await withObservedWorkTree(dir, process.env, () => CHECKS['no-shortcut-markers']!.run(dir, {}));
  // Before: "shortcut-markers: none added since …", read from the forged HEAD.
  expect(result.pass).toBe(false);
  expect(result.report).toContain('calc.js:1');
});
