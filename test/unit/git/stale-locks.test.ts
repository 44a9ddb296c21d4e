/**
 * Git lock files left by a killed git (stale-locks.ts), with real git: `git update-index
 * --index-info` takes `index.lock` and holds it open while it reads its stdin, so it is a git that
 * can be caught holding the lock, and killed with it held.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gitOk } from '../../../src/git/git.ts';
import { resolveRepoLayout } from '../../../src/git/repo-layout.ts';
import { describeLockSweep, findGitLocks, removeStaleGitLocks } from '../../../src/git/stale-locks.ts';
import { sweepGitLocks } from '../../../src/loop/shell/start-cleanup.ts';

const ident = ['-c', 'user.name=t', '-c', 'user.email=t@peers.test'];
let root: string | undefined;
afterEach(() => root && rmSync(root, { recursive: true, force: true }));

function repo(): string {
  root = mkdtempSync(join(tmpdir(), 'peers-locks-'));
  const dir = join(root, 'repo');
  mkdirSync(dir);
  gitOk(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'a.txt'), 'a\n');
  gitOk(dir, ['add', 'a.txt']);
  gitOk(dir, [...ident, 'commit', '-q', '-m', 'one']);
  return dir;
}

/** A git holding `index.lock` until its stdin closes (or it is killed). */
async function gitHoldingIndexLock(dir: string) {
  const child = Bun.spawn(['git', 'update-index', '--index-info'], { cwd: dir, stdin: 'pipe', stdout: 'ignore', stderr: 'ignore' });
  const lock = join(dir, '.git', 'index.lock');
  const end = Date.now() + 10_000;
  while (!existsSync(lock)) {
    if (Date.now() > end) throw new Error('git never took index.lock');
    await Bun.sleep(10);
  }
  return child;
}

const commitFile = (dir: string) => {
  writeFileSync(join(dir, 'b.txt'), `${Date.now()}\n`);
  return git(dir, ['add', 'b.txt']);
};

describe('git lock files a killed git left', () => {
  test('a git killed holding index.lock breaks every later git add; the sweep removes the lock and git works again', async () => {
    const dir = repo();
    const child = await gitHoldingIndexLock(dir);
    child.kill('SIGKILL');
    await child.exited;
    expect(commitFile(dir).stderr).toContain('index.lock');
    const sweep = removeStaleGitLocks(resolveRepoLayout(dir, { allowGitFile: false }));
    expect(sweep.removed).toEqual([join(dir, '.git', 'index.lock')]);
    expect(describeLockSweep(sweep, dir, 'an earlier run')).toBe('removed git lock file .git/index.lock left by an earlier run (no process holds it)');
    expect(commitFile(dir).code).toBe(0);
  });

  test('a lock a live git holds is kept, and the line names the process', async () => {
    const dir = repo();
    const child = await gitHoldingIndexLock(dir);
    try {
      const sweep = removeStaleGitLocks(resolveRepoLayout(dir, { allowGitFile: false }));
      expect(sweep.removed).toEqual([]);
      expect(sweep.holders.map((h) => h.pid)).toContain(child.pid);
      expect(existsSync(join(dir, '.git', 'index.lock'))).toBe(true);
      expect(describeLockSweep(sweep, dir, 'x')).toContain(`pid ${child.pid} holds`);
    } finally {
      child.stdin.end();
      await child.exited;
    }
    // It finished normally: its lock is gone without our help.
    expect(existsSync(join(dir, '.git', 'index.lock'))).toBe(false);
  });

  test('a process that is not git but holds a lock file open keeps every lock', async () => {
    const dir = repo();
    const lock = join(dir, '.git', 'HEAD.lock');
    const holder = Bun.spawn(['sh', '-c', `exec 3>"${lock}"; echo ready; exec sleep 30`], { cwd: root!, stdout: 'pipe' });
    try {
      const reader = holder.stdout.getReader();
      await reader.read();
      writeFileSync(join(dir, '.git', 'index.lock'), '');
      const sweep = removeStaleGitLocks(resolveRepoLayout(dir, { allowGitFile: false }));
      expect(sweep.removed).toEqual([]);
      expect(sweep.kept.sort()).toEqual([lock, join(dir, '.git', 'index.lock')].sort());
    } finally {
      holder.kill('SIGKILL');
      await holder.exited;
    }
  });

  test('ref, HEAD and packed-refs locks are found; a planted symlink lock is removed itself (never its target); a directory named *.lock is left', () => {
    const dir = repo();
    const g = join(dir, '.git');
    for (const f of ['HEAD.lock', 'packed-refs.lock', 'config.lock', 'refs/heads/main.lock']) writeFileSync(join(g, f), '');
    mkdirSync(join(g, 'refs', 'heads', 'topic'), { recursive: true });
    writeFileSync(join(g, 'refs', 'heads', 'topic', 'x.lock'), '');
    const outside = join(root!, 'precious');
    writeFileSync(outside, 'keep me\n');
    symlinkSync(outside, join(g, 'shallow.lock'));
    mkdirSync(join(g, 'odd.lock'));
    const layout = resolveRepoLayout(dir, { allowGitFile: false });
    const expected = ['HEAD.lock', 'config.lock', 'packed-refs.lock', 'refs/heads/main.lock', 'refs/heads/topic/x.lock', 'shallow.lock'].map((f) => join(g, f)).sort();
    expect(findGitLocks(layout)).toEqual(expected);
    expect(removeStaleGitLocks(layout, () => []).removed).toEqual(expected);
    expect(existsSync(join(g, 'shallow.lock'))).toBe(false);
    expect(readFileSync(outside, 'utf8')).toBe('keep me\n');
    expect(existsSync(join(g, 'odd.lock'))).toBe(true);
    expect(gitOk(dir, ['rev-parse', 'HEAD']).trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  test('a git worktree: its own index.lock and the shared refs are both swept', () => {
    const dir = repo();
    const wt = join(root!, 'wt');
    gitOk(dir, ['worktree', 'add', '-q', '-b', 'side', wt]);
    const layout = resolveRepoLayout(wt, { allowGitFile: true });
    writeFileSync(join(layout.gitDir, 'index.lock'), '');
    writeFileSync(join(layout.commonDir, 'refs', 'heads', 'side.lock'), '');
    expect(removeStaleGitLocks(layout, () => []).removed.sort()).toEqual([join(layout.commonDir, 'refs', 'heads', 'side.lock'), join(layout.gitDir, 'index.lock')].sort());
    expect(git(wt, ['status', '--porcelain']).code).toBe(0);
  });

  test('nothing to do: no line', () => {
    const dir = repo();
    expect(describeLockSweep(removeStaleGitLocks(resolveRepoLayout(dir, { allowGitFile: false })), dir, 'x')).toBeNull();
  });
});

/**
 * The pod's loop sweeps the run clone's locks after every turn, in the loop container, where the
 * clone sits inside its state directory (`/state/run/clone`). What the sweep walks is the peers'
 * to shape: it must never leave the clone's own `.git`.
 */
describe('a peer cannot make the lock sweep remove files outside the clone', () => {
  /** A state dir as the loop sees it: its run lock and the mirror's ref lock beside the clone. */
  function podState() {
    const state = mkdtempSync(join(tmpdir(), 'peers-locks-state-'));
    root = state;
    mkdirSync(join(state, 'run'));
    const clone = join(state, 'run', 'clone');
    mkdirSync(clone);
    gitOk(clone, ['init', '-q', '-b', 'main']);
    writeFileSync(join(state, 'run.lock'), '4242\n');
    mkdirSync(join(state, 'mirror', 'objects'), { recursive: true });
    mkdirSync(join(state, 'mirror', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(state, 'mirror', 'refs', 'heads', 'main.lock'), 'x\n');
    return { state, clone, outside: [join(state, 'run.lock'), join(state, 'mirror', 'refs', 'heads', 'main.lock')] };
  }
  const sweep = (clone: string) => {
    const lines: string[] = [];
    sweepGitLocks({ workDir: clone, allowGitFile: false }, "alice's turn (tick 3)", (l) => lines.push(l));
    return lines;
  };

  test('.git/refs swapped for a link to the state dir: nothing outside is removed', () => {
    const { clone, outside } = podState();
    rmSync(join(clone, '.git', 'refs'), { recursive: true });
    symlinkSync('../../..', join(clone, '.git', 'refs'));
    sweep(clone);
    for (const f of outside) expect(existsSync(f)).toBe(true);
  });

  test('.git/commondir naming a directory of the peers whose refs link out: nothing outside is removed', () => {
    const { clone, outside } = podState();
    mkdirSync(join(clone, 'evil', 'objects'), { recursive: true });
    symlinkSync('../../..', join(clone, 'evil', 'refs'));
    writeFileSync(join(clone, '.git', 'commondir'), '../evil\n');
    sweep(clone);
    for (const f of outside) expect(existsSync(f)).toBe(true);
  });

  test('.git/commondir naming the mirror: its locks are not the peers\' to have removed', () => {
    const { clone, outside } = podState();
    writeFileSync(join(clone, '.git', 'commondir'), '../../../mirror\n');
    sweep(clone);
    for (const f of outside) expect(existsSync(f)).toBe(true);
  });

  test('.git swapped for a link to the state dir after the layout was read: nothing outside is removed', () => {
    const { state, clone, outside } = podState();
    const layout = resolveRepoLayout(clone, { allowGitFile: false });
    rmSync(join(clone, '.git'), { recursive: true });
    symlinkSync(state, join(clone, '.git'));
    removeStaleGitLocks(layout, () => []);
    for (const f of outside) expect(existsSync(f)).toBe(true);
  });

  test('control: the clone\'s own stale locks are still removed', () => {
    const { clone, outside } = podState();
    writeFileSync(join(clone, '.git', 'index.lock'), '');
    mkdirSync(join(clone, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(clone, '.git', 'refs', 'heads', 'main.lock'), '');
    const lines = sweep(clone);
    expect(existsSync(join(clone, '.git', 'index.lock'))).toBe(false);
    expect(existsSync(join(clone, '.git', 'refs', 'heads', 'main.lock'))).toBe(false);
    expect(lines.join('\n')).toContain("left by alice's turn (tick 3)");
    for (const f of outside) expect(existsSync(f)).toBe(true);
  });
});
