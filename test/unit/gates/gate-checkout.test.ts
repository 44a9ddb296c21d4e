/**
 * The loop's reused gate checkout (src/gates/gate-checkout.ts): every run sees exactly the
 * committed tree, whatever the previous gate run left, changed or planted in the checkout.
 */
import { afterAll, afterEach, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { GateCheckout, type GateCheckoutOptions } from '../../../src/gates/gate-checkout.ts';
import { gitOk } from '../../../src/git/git.ts';
import { withObservedWorkTree } from '../../../src/git/observed-view.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { attestCommits, attestedPeer } from '../../../src/protocol/attestation.ts';
import { afterTree, treeMayGoToTmpfs } from '../../../src/gates/checkout-place.ts';
import { MIN_FREE_BYTES, tmpfsRefusal } from '../../../src/proc/tmpfs-scratch.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
const checkouts: GateCheckout[] = [];
afterEach(() => {
  for (const c of checkouts.splice(0)) c.close();
});

/** A repository with two commits (test.sh passes only when `pass.flag` exists), and its mirror. */
function setup(options: GateCheckoutOptions = {}): { repo: string; mirror: string; first: string; second: string; observer: RunObserver; checkout: GateCheckout } {
  const root = tempDir('gate-checkout-');
  const repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'test.sh'), 'test -f pass.flag\n');
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n*.log\n');
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'one']);
  const first = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  writeFileSync(join(repo, 'a.txt'), 'two\n');
  gitOk(repo, [...ID, 'commit', '-q', '-am', 'two']);
  const second = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  const observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: true });
  observer.sync();
  const checkout = new GateCheckout(options);
  checkouts.push(checkout);
  return { repo, mirror: observer.mirror, first, second, observer, checkout };
}

const gate = (dir: string, cmd: string) => spawnSync('/bin/sh', ['-c', cmd], { cwd: dir }).status;

test('an untracked or ignored file a gate run leaves cannot make the next run pass', async () => {
  // No tmpfs to move to: the trees stay in one place (the move is tested below).
  const { mirror, second, checkout } = setup({ tmpfsCandidates: () => [] });
  const dirs: string[] = [];
  const first = await checkout.use(mirror, second, async (dir) => {
    dirs.push(dir);
    const before = gate(dir, 'sh test.sh');
    writeFileSync(join(dir, 'pass.flag'), '');
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/.bin/shim'), 'x');
    writeFileSync(join(dir, 'run.log'), 'x');
    return [before, gate(dir, 'sh test.sh')];
  });
  expect(first).toEqual([1, 0]);
  const next = await checkout.use(mirror, second, async (dir) => {
    dirs.push(dir);
    return { gate: gate(dir, 'sh test.sh'), files: readdirSync(dir).sort() };
  });
  expect(next).toEqual({ gate: 1, files: ['.git', '.gitignore', 'a.txt', 'test.sh'] });
  // One scratch directory, reused; each run's tree under a new name.
  expect(dirname(dirs[0]!)).toBe(dirname(dirs[1]!));
  expect(dirs[0]).not.toBe(dirs[1]!);
});

test('a daemon a gate run left behind cannot find the next run\'s tree to plant files in it', async () => {
  const { mirror, second, checkout } = setup();
  const outside = tempDir('gate-checkout-daemon-');
  const ticks = join(outside, 'ticks');
  const pidFile = join(outside, 'pid');
  // Left by the first run in a session of its own (outlives the gate's process group): it plants
  // pass.flag wherever the tree it ran in was, waiting for the next run's tree to appear there.
  const daemon = (tree: string) => `echo $$ > ${pidFile}; while :; do [ -d "${tree}" ] && touch "${tree}/pass.flag" 2>/dev/null; echo . >> ${ticks}; sleep 0.01; done`;
  const firstTree = await checkout.use(mirror, second, async (dir) => {
    spawnSync('/bin/sh', ['-c', `setsid sh -c '${daemon(dir)}' </dev/null >/dev/null 2>&1 &`], { cwd: dir });
    return dir;
  });
  const waitTicks = async (n: number) => {
    const count = () => (existsSync(ticks) ? readFileSync(ticks, 'utf8').length : 0);
    const until = count() + n;
    while (count() < until) await Bun.sleep(5);
  };
  try {
    await waitTicks(2);
    const seen = await checkout.use(mirror, second, async (dir) => {
      // The daemon has had several rounds to find this tree.
      await waitTicks(5);
      return { dir, gate: gate(dir, 'sh test.sh'), flag: existsSync(join(dir, 'pass.flag')) };
    });
    expect(seen.dir).not.toBe(firstTree);
    expect(seen).toMatchObject({ gate: 1, flag: false });
    // Nor can it list the tree's directory to find the new name (as the loop's user; root reads any directory).
    expect(statSync(dirname(seen.dir)).mode & 0o777).toBe(0o300);
  } finally {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (pid > 1) process.kill(pid, 'SIGKILL');
    rmSync(outside, { recursive: true, force: true });
  }
});

test('tracked files a gate changed (content, mode, even with the old mtime and a forged index) are committed content again', async () => {
  const { mirror, first, second, checkout } = setup();
  await checkout.use(mirror, second, async (dir) => {
    const st = statSync(join(dir, 'test.sh'));
    writeFileSync(join(dir, 'test.sh'), 'true\n');
    utimesSync(join(dir, 'test.sh'), st.atime, st.mtime);
    chmodSync(join(dir, 'a.txt'), 0o755);
    // The index is told the edited file is the committed one.
    spawnSync('git', ['update-index', '--refresh'], { cwd: dir });
    spawnSync('git', ['add', 'test.sh'], { cwd: dir });
    expect(gate(dir, 'sh test.sh')).toBe(0);
  });
  const seen = await checkout.use(mirror, second, async (dir) => ({ gate: gate(dir, 'sh test.sh'), a: readFileSync(join(dir, 'a.txt'), 'utf8'), mode: statSync(join(dir, 'a.txt')).mode & 0o777, status: gitOk(dir, ['status', '--porcelain'], { hermetic: true }) }));
  expect(seen).toEqual({ gate: 1, a: 'two\n', mode: 0o644, status: '' });
  // And moving to another commit gives that commit's tree.
  expect(await checkout.use(mirror, first, async (dir) => readFileSync(join(dir, 'a.txt'), 'utf8'))).toBe('one\n');
});

test('a symlink, a planted .git config, hook or attributes, or the tree swapped for a symlink: nothing reaches the next run', async () => {
  const { mirror, second, checkout } = setup();
  const outside = mkdtempSync(join(tmpdir(), 'gate-checkout-outside-'));
  const marker = join(outside, 'pwned');
  writeFileSync(join(outside, 'a.txt'), 'outside\n');
  await checkout.use(mirror, second, async (dir) => {
    rmSync(join(dir, 'a.txt'));
    symlinkSync(join(outside, 'a.txt'), join(dir, 'a.txt'));
    symlinkSync(outside, join(dir, 'escape'));
    const cfg = join(dir, '.git/config');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}[core]\n\tfsmonitor = touch ${marker}\n\thooksPath = ${outside}\n[filter "pwn"]\n\tsmudge = touch ${marker}; cat\n\trequired = true\n`);
    mkdirSync(join(dir, '.git/info'), { recursive: true });
    writeFileSync(join(dir, '.git/info/attributes'), '* filter=pwn\n');
    writeFileSync(join(outside, 'post-checkout'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    writeFileSync(join(dir, '.git/objects/info/alternates'), `${outside}\n`);
  });
  const seen = await checkout.use(mirror, second, async (dir) => ({ a: readFileSync(join(dir, 'a.txt'), 'utf8'), escape: existsSync(join(dir, 'escape')), config: readFileSync(join(dir, '.git/config'), 'utf8') }));
  expect(seen.a).toBe('two\n');
  expect(seen.escape).toBe(false);
  expect(seen.config).not.toContain('pwn');
  expect(seen.config).not.toContain('fsmonitor = touch');
  expect(existsSync(marker)).toBe(false);
  expect(readFileSync(join(outside, 'a.txt'), 'utf8')).toBe('outside\n');
  // The tree directory itself replaced by a symlink to a directory outside: never written through.
  let treeDir = '';
  await checkout.use(mirror, second, async (dir) => {
    treeDir = dir;
    rmSync(dir, { recursive: true, force: true });
    symlinkSync(outside, dir);
  });
  expect(await checkout.use(mirror, second, async (dir) => readFileSync(join(dir, 'a.txt'), 'utf8'))).toBe('two\n');
  expect(readdirSync(outside).sort()).toEqual(['a.txt', 'post-checkout']);
  // The scratch directory swapped for a symlink: a new scratch directory is made instead.
  const scratch = dirname(treeDir);
  rmSync(scratch, { recursive: true, force: true });
  symlinkSync(outside, scratch);
  const again = await checkout.use(mirror, second, async (dir) => ({ dir, a: readFileSync(join(dir, 'a.txt'), 'utf8') }));
  expect(again.a).toBe('two\n');
  expect(again.dir.startsWith(scratch)).toBe(false);
  expect(readdirSync(outside).sort()).toEqual(['a.txt', 'post-checkout']);
  rmSync(scratch);
});

test("the checkout carries the loop's attestation notes, so a gate's `peers check` sees who made each commit", async () => {
  const { mirror, first, second, observer, checkout } = setup();
  expect(await checkout.use(mirror, second, (dir) => withObservedWorkTree(dir, process.env, async () => attestedPeer(dir, second)))).toBeUndefined();
  attestCommits(observer.mirror, 'alice', first, second);
  expect(await checkout.use(mirror, second, (dir) => withObservedWorkTree(dir, process.env, async () => [attestedPeer(dir, second), attestedPeer(dir, first)]))).toEqual(['alice', undefined]);
});

test('the baseline tag and the notes come as one packed-refs file, as in a clone; an annotated tag still peels to its commit', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gate-checkout-'));
  const repo = join(root, 'repo');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  gitOk(repo, ['add', '-A']);
  gitOk(repo, [...ID, 'commit', '-q', '-m', 'one']);
  const sha = gitOk(repo, ['rev-parse', 'HEAD']).trim();
  gitOk(repo, [...ID, 'tag', '-a', '-m', 'start', 'peers-baseline']);
  const observer = new RunObserver({ workDir: repo, mirror: join(root, 'mirror.git'), stage: join(root, 'stage.git'), lenient: true });
  observer.sync();
  attestCommits(observer.mirror, 'alice', undefined, sha);
  const checkout = new GateCheckout();
  checkouts.push(checkout);
  const seen = await checkout.use(observer.mirror, sha, async (dir) => ({
    dirs: ['refs/tags', 'refs/notes'].filter((d) => existsSync(join(dir, '.git', d))),
    packed: readFileSync(join(dir, '.git/packed-refs'), 'utf8'),
    type: spawnSync('git', ['cat-file', '-t', 'peers-baseline'], { cwd: dir, encoding: 'utf8' }).stdout.trim(),
    peeled: spawnSync('git', ['rev-parse', 'peers-baseline^{commit}'], { cwd: dir, encoding: 'utf8' }).stdout.trim(),
    peer: await withObservedWorkTree(dir, process.env, async () => attestedPeer(dir, sha)),
  }));
  expect(seen.dirs).toEqual([]);
  expect(seen.packed).toContain(' refs/tags/peers-baseline\n');
  expect(seen.packed).toContain(' refs/notes/peers-attest\n');
  expect([seen.type, seen.peeled, seen.peer]).toEqual(['tag', sha, 'alice']);
  rmSync(root, { recursive: true, force: true });
});

test('a run that starts while the checkout is in use gets a checkout of its own; an id that is not a commit is refused', async () => {
  const { mirror, first, second, checkout } = setup();
  const both = await checkout.use(mirror, second, async (outer) => {
    const inner = await checkout.use(mirror, first, async (dir) => ({ dir, a: readFileSync(join(dir, 'a.txt'), 'utf8') }));
    return { outer, outerA: readFileSync(join(outer, 'a.txt'), 'utf8'), inner };
  });
  expect(both.inner.dir).not.toBe(both.outer);
  expect([both.outerA, both.inner.a]).toEqual(['two\n', 'one\n']);
  const tree = gitOk(mirror, ['rev-parse', `${second}^{tree}`]).trim();
  await expect(checkout.use(mirror, tree, async () => 1)).rejects.toThrow(/read-tree/);
  await expect(checkout.use(mirror, 'HEAD', async () => 1)).rejects.toThrow(/not an object id/);
  checkout.close();
  expect(existsSync(dirname(both.outer))).toBe(false);
});

/** A tmpfs with room for the trees of the tests below (/dev/shm on Linux), or undefined. */
const MIB = 1024 * 1024;
const shm = ['/dev/shm'].find((d) => tmpfsRefusal(d, MIN_FREE_BYTES + MIB) === null);
const under = (dir: string, parent: string) => realpathSync(dirname(dirname(dir))) === realpathSync(parent);

// Skipped where no tmpfs with room is mounted at /dev/shm (the move is then never made).
test.skipIf(!shm)('small trees move to a tmpfs after the first run; a gate that writes past the limit sends every later tree back to the disk', async () => {
  const { mirror, second, checkout } = setup({ tmpfsCandidates: () => [shm], tmpfsTreeLimitBytes: MIB });
  const run = (write = 0) =>
    checkout.use(mirror, second, async (dir) => {
      // A gate that builds into its checkout (a target/ of its own).
      if (write) writeFileSync(join(dir, 'build.out'), Buffer.alloc(write, 1));
      return { dir, gate: gate(dir, 'sh test.sh'), files: readdirSync(dir).sort() };
    });
  const first = await run();
  expect(under(first.dir, tmpdir())).toBe(true);
  const second2 = await run();
  expect(under(second2.dir, shm!)).toBe(true);
  expect(checkout.place).toMatchObject({ tmpfs: true, sizes: 'small' });
  // Committed content only, as on the disk; the first place's directory is gone.
  expect(second2).toMatchObject({ gate: 1, files: ['.git', '.gitignore', 'a.txt', 'test.sh'] });
  expect(existsSync(dirname(first.dir))).toBe(false);
  // This run's gate writes 2 MiB into the tree on the tmpfs: measured when it goes, and the next tree is on the disk.
  await run(2 * MIB);
  const after = await run();
  expect(under(after.dir, tmpdir())).toBe(true);
  expect(checkout.place).toMatchObject({ sizes: 'too-big' });
  // For good: small trees since do not bring it back.
  expect(under((await run()).dir, tmpdir())).toBe(true);
});

test.skipIf(!shm)('a first tree over the limit (the gate wrote into it on the disk) keeps every later one off the tmpfs', async () => {
  const { mirror, second, checkout } = setup({ tmpfsCandidates: () => [shm], tmpfsTreeLimitBytes: MIB });
  await checkout.use(mirror, second, async (dir) => writeFileSync(join(dir, 'build.out'), Buffer.alloc(2 * MIB, 1)));
  const next = await checkout.use(mirror, second, async (dir) => dir);
  expect(under(next, tmpdir())).toBe(true);
  expect(checkout.place.sizes).toBe('too-big');
});

test('the place rule: the first tree is measured before any goes to a tmpfs; one too big (or one not measured) is final', () => {
  expect(treeMayGoToTmpfs('unmeasured')).toBe(false);
  expect(afterTree('unmeasured', 10, 100)).toBe('small');
  expect(treeMayGoToTmpfs(afterTree('unmeasured', 10, 100))).toBe(true);
  expect(afterTree('small', 101, 100)).toBe('too-big');
  expect(afterTree('small', null, 100)).toBe('too-big');
  expect(afterTree('too-big', 0, 100)).toBe('too-big');
  expect(treeMayGoToTmpfs('too-big')).toBe(false);
});
