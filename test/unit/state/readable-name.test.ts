/**
 * A project's readable name is the default results branch `peers/<name>`: a repository in a
 * directory named `lib.lock` or `a..b` (names git refuses in a ref) published nothing, the run's
 * commits stayed in the state dir and every command said `"peers/lib.lock" is not a usable branch
 * name` (seen as the unprivileged user).
 */
import { expect, test } from 'bun:test';
import { readableName } from '../../../src/state/readable-name.ts';
import { isSafeRefName } from '../../../src/git/repo-layout.ts';

test('every directory name gives a branch name git accepts, readable as before where it already was', () => {
  const names: Record<string, string> = { 'lib.lock': 'lib-lock', 'a..b': 'a.b', 'v1...2.lock': 'v1.2-lock', 'app.v2': 'app.v2', 'clamp lib é': 'clamp-lib-e', 'x.lock.lock': 'x.lock-lock', 'we:rd': 'we-rd', [`${'a'.repeat(55)}.b`]: 'a'.repeat(55) };
  for (const [dir, name] of Object.entries(names)) {
    expect(readableName(dir)).toBe(name);
    expect(isSafeRefName(`refs/heads/peers/${readableName(dir)}`)).toBe(true);
  }
});
