import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withCleanCheckout } from '../../../src/gates/clean-checkout.ts';
import { gitOk } from '../../../src/git/git.ts';
import { withObservedWorkTree } from '../../../src/git/observed-view.ts';
import { importTrusted, initObserverRepo, RUN_BASE_REF } from '../../../src/git/observer.ts';
import { GateCheckout } from '../../../src/gates/gate-checkout.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { attestCommits, attestedPeer } from '../../../src/protocol/attestation.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];

function makeRepo(): { repo: string; first: string; second: string } {
  const repo = tempDir('checkout-repo-');
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  gitOk(repo, ['add', 'a.txt']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'one']);
  const first = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  writeFileSync(join(repo, 'a.txt'), 'two\n');
  gitOk(repo, [...ID, 'commit', '-q', '-am', 'two']);
  const second = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  return { repo, first, second };
}

test('the checkout has the committed content only, never the dirty working tree', async () => {
  const { repo, second } = makeRepo();
  writeFileSync(join(repo, 'a.txt'), 'uncommitted edit\n');
  writeFileSync(join(repo, 'untracked.txt'), 'not committed\n');
  const seen = await withCleanCheckout(repo, second, async (dir) => ({
    dir,
    a: readFileSync(join(dir, 'a.txt'), 'utf8'),
    untracked: existsSync(join(dir, 'untracked.txt')),
    outsideRepo: !dir.startsWith(repo),
  }));
  expect(seen).toMatchObject({ a: 'two\n', untracked: false, outsideRepo: true });
  expect(existsSync(seen.dir)).toBe(false);
  // The user's tree is untouched and no worktree registration is left behind.
  expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('uncommitted edit\n');
  expect(gitOk(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
});

test('an older sha checks out that commit', async () => {
  const { repo, first } = makeRepo();
  expect(await withCleanCheckout(repo, first, async (dir) => readFileSync(join(dir, 'a.txt'), 'utf8'))).toBe('one\n');
});

test('the checkout is removed even when the callback throws', async () => {
  const { repo, second } = makeRepo();
  let seenDir = '';
  const failing = withCleanCheckout(repo, second, async (dir) => {
    seenDir = dir;
    writeFileSync(join(dir, 'junk.txt'), 'x');
    throw new Error('gate crashed');
  });
  await expect(failing).rejects.toThrow('gate crashed');
  expect(existsSync(seenDir)).toBe(false);
  expect(gitOk(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
});

test('an unknown sha is an error before anything is created', async () => {
  const { repo } = makeRepo();
  await expect(withCleanCheckout(repo, 'deadbeef'.repeat(5), async () => 1)).rejects.toThrow(/rev-parse/);
});

test('a smudge filter, hook or fsmonitor planted in the repository\'s config does not run while checking out', async () => {
  const { repo, second } = makeRepo();
  const marker = join(repo, '..', `pwned-${Math.random().toString(36).slice(2)}`);
  writeFileSync(join(repo, '.gitattributes'), '* filter=pwn\n');
  gitOk(repo, ['add', '.gitattributes']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'attrs']);
  const head = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  const planted: [string, string][] = [['filter.pwn.smudge', `touch ${marker}; cat`], ['filter.pwn.required', 'true'], ['core.fsmonitor', `touch ${marker}`]];
  for (const [k, v] of planted) gitOk(repo, ['config', k, v]);
  writeFileSync(join(repo, '.git/hooks/post-checkout'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  for (const sha of [second, head]) expect(await withCleanCheckout(repo, sha, async (dir) => readFileSync(join(dir, 'a.txt'), 'utf8'))).toBe('two\n');
  expect(existsSync(marker)).toBe(false);
});

test("a gate's `peers check` sees who made each commit: the checkout of the mirror carries the loop's attestation, and the check's view of it reads it", async () => {
  const { repo, first, second } = makeRepo();
  const scratch = mkdtempSync(join(tmpdir(), 'checkout-mirror-'));
  const observer = new RunObserver({ workDir: repo, mirror: join(scratch, 'mirror.git'), stage: join(scratch, 'stage.git'), lenient: true });
  observer.sync();
  // The loop attests in the mirror only; a clone would copy branches and tags, never notes.
  attestCommits(observer.mirror, 'alice', first, second);
  const seen = await withCleanCheckout(observer.mirror, second, (dir) => withObservedWorkTree(dir, process.env, async () => [attestedPeer(dir, second), attestedPeer(dir, first)]));
  expect(seen).toEqual(['alice', undefined]);
});

test("the user's repository is a shallow clone: the gates' checkouts of the mirror have the commit, its attestation and a history that ends where the clone's does", async () => {
  const { repo } = makeRepo();
  const shallow = join(tempDir('checkout-shallow-'), 'clone');
  gitOk(tmpdir(), ['clone', '-q', '--depth', '1', `file://${repo}`, shallow]);
  writeFileSync(join(shallow, 'a.txt'), 'three\n');
  gitOk(shallow, [...ID, 'commit', '-q', '-am', 'three']);
  const head = gitOk(shallow, ['rev-parse', 'HEAD']).trim();
  // The run's mirror, taken from the user's repository as `peers up` takes it.
  const mirror = join(tempDir('checkout-shallow-mirror-'), 'mirror.git');
  initObserverRepo(mirror);
  expect(importTrusted(mirror, shallow, 'HEAD', RUN_BASE_REF)).toBe(head);
  attestCommits(mirror, 'alice', gitOk(shallow, ['rev-parse', 'HEAD~1']).trim(), head);
  const look = (dir: string) => ({ a: readFileSync(join(dir, 'a.txt'), 'utf8'), log: gitOk(dir, ['log', '--format=%s'], { hermetic: true }).trim().split('\n'), by: attestedPeer(dir, head) });
  const want = { a: 'three\n', log: ['three', 'two'], by: 'alice' };
  // The one-off checkout (the pod's setup container, `peers verify`) and the loop's reused one.
  expect(await withCleanCheckout(mirror, head, (dir) => withObservedWorkTree(dir, process.env, async () => look(dir)))).toEqual(want);
  const reused = new GateCheckout();
  try {
    expect(await reused.use(mirror, head, (dir) => withObservedWorkTree(dir, process.env, async () => look(dir)))).toEqual(want);
  } finally {
    reused.close();
  }
});
