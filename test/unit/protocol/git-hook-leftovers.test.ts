/**
 * What a planted hook or config entry leaves behind: a turn is judged on what it planted itself,
 * never on an earlier turn's leftover; the workspace can move any entry of the hooks directory
 * aside and unset any code-running key; and a flood of entries stays a bounded finding, read
 * without hashing what git would never run (SECURITY.md, "Hooks never rewrite another peer's commit").
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { RunnerWorkspaceGit } from '../../../src/git/workspace-git.ts';
import { LocalPeerRunner } from '../../../src/proc/peer-runner.ts';
import { type GitExecSurface, hooksToKeep, MAX_CONFIG_ENTRIES, MAX_HOOK_ENTRIES, plantedConfigKeys, plantedInTurn, plantedSince, readGitExecSurface } from '../../../src/protocol/git-hook-guard.ts';
import { makeRepo, sh, type Repo } from './git-fixture.ts';

let repo: Repo;
const scratch: string[] = [];
afterEach(() => {
  repo?.cleanup();
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workspaceOf(dir: string): RunnerWorkspaceGit {
  const s = mkdtempSync(join(tmpdir(), 'peers-hook-left-'));
  scratch.push(s);
  const observer = new RunObserver({ workDir: dir, mirror: join(s, 'mirror.git'), stage: join(s, 'stage.git'), lenient: false });
  return new RunnerWorkspaceGit(new LocalPeerRunner(), dir, observer, { PATH: process.env.PATH! });
}

/** Disables, as the loop does after a turn, everything not there at the run's start. */
async function disableStray(dir: string, start: GitExecSurface, tick: number): Promise<string[]> {
  const now = readGitExecSurface(dir);
  const stray = plantedSince(start, now);
  return workspaceOf(dir).disableGitExec({ keepHooks: stray.hooks.length ? hooksToKeep(start, now) : null, keys: plantedConfigKeys(dir, stray.config) }, tick);
}

describe('a turn is judged on what it planted', () => {
  const start: GitExecSurface = { hooks: { 'pre-push': 'user' }, config: ['alias.st=status'] };

  test("an earlier turn's leftover is not the next turn's; changing it is; the run's own hook put back is not planted", () => {
    const left: GitExecSurface = { hooks: { 'pre-push': 'user', '.x': 'file' }, config: ['alias.st=status', 'diff.x.textconv=evil'] };
    // The turn that made it.
    expect(plantedInTurn(start, start, left)).toEqual({ hooks: ['.x'], config: ['diff.x.textconv=evil'] });
    // An honest turn after it, the leftover still there: nothing is its.
    expect(plantedInTurn(start, left, left)).toEqual({ hooks: [], config: [] });
    // A turn that changes the leftover, or adds to it, planted that.
    expect(plantedInTurn(start, left, { ...left, hooks: { ...left.hooks, '.x': 'symlink' } }).hooks).toEqual(['.x']);
    // The user's hook, moved aside after a turn changed it, put back as it was: nothing planted.
    const moved: GitExecSurface = { hooks: {}, config: start.config };
    expect(plantedInTurn(start, moved, start)).toEqual({ hooks: [], config: [] });
    expect(hooksToKeep(start, left)).toEqual(['pre-push']);
    expect(hooksToKeep(start, { hooks: { 'pre-push': 'changed' }, config: [] })).toEqual([]);
  });
});

describe('the workspace moves any entry aside', () => {
  test("hooks named `.x`, `-x`, with a newline or 255 characters long are moved, the user's hook and the samples stay", async () => {
    repo = makeRepo();
    repo.commit('init');
    const hooks = join(repo.dir, '.git/hooks');
    writeFileSync(join(hooks, 'pre-push'), '#!/bin/sh\nexit 0\n'); // the user's own
    const start = readGitExecSurface(repo.dir);
    const names = ['.x', '-x', 'a\nb', 'h'.repeat(255), '--'];
    for (const n of names) writeFileSync(join(hooks, n), '');
    mkdirSync(join(hooks, 'pre-commit'));
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual([...names, 'pre-commit'].sort());
    expect(await disableStray(repo.dir, start, 3)).toEqual([]);
    expect(plantedSince(start, readGitExecSurface(repo.dir))).toEqual({ hooks: [], config: [] });
    expect(readdirSync(hooks).filter((n) => !n.endsWith('.sample'))).toEqual(['pre-push']);
    expect(readdirSync(hooks).some((n) => n.endsWith('.sample'))).toBe(true);
    expect(readdirSync(join(repo.dir, '.git/peers-disabled-hooks/tick-3/hooks')).sort()).toEqual([...names, 'pre-commit'].sort());
  });

  test('a hooks directory replaced by a symlink or a file is moved aside as it is, never followed', async () => {
    repo = makeRepo();
    repo.commit('init');
    const start = readGitExecSurface(repo.dir);
    const elsewhere = mkdtempSync(join(tmpdir(), 'peers-hooks-target-'));
    scratch.push(elsewhere);
    writeFileSync(join(elsewhere, 'pre-push'), 'not the loop\'s to move\n');
    rmSync(join(repo.dir, '.git/hooks'), { recursive: true });
    symlinkSync(elsewhere, join(repo.dir, '.git/hooks'));
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual(['(hooks directory replaced)']);
    // Even asked to keep a hook of that name, nothing is put back through the link.
    expect(await workspaceOf(repo.dir).disableGitExec({ keepHooks: ['pre-push'], keys: [] }, 4)).toEqual([]);
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual([]);
    expect(existsSync(join(repo.dir, '.git/hooks/pre-push'))).toBe(false);
    expect(readFileSync(join(elsewhere, 'pre-push'), 'utf8')).toContain("not the loop's");
    rmSync(join(repo.dir, '.git/hooks'), { recursive: true });
    writeFileSync(join(repo.dir, '.git/hooks'), 'a file\n');
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual(['(hooks directory replaced)']);
    expect(await disableStray(repo.dir, start, 5)).toEqual([]);
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual([]);
  });

  test('a code-running key in an upper-case section or with a subsection of 2000 characters is unset', async () => {
    repo = makeRepo();
    repo.commit('init');
    const start = readGitExecSurface(repo.dir);
    const long = 's'.repeat(2000);
    writeFileSync(join(repo.dir, '.git/config'), `${readFileSync(join(repo.dir, '.git/config'), 'utf8')}[DIFF "X"]\n\tTEXTCONV = evil\n[filter "${long}"]\n\tclean = evil\n`);
    const planted = plantedSince(start, readGitExecSurface(repo.dir)).config;
    expect(planted.length).toBe(2);
    expect(planted.every((c) => c.length <= 300)).toBe(true);
    expect(await disableStray(repo.dir, start, 6)).toEqual([]);
    expect(plantedSince(start, readGitExecSurface(repo.dir)).config).toEqual([]);
    expect(sh(repo.dir, ['config', '--list'])).not.toContain('evil');
  });
});

describe('a flood of entries', () => {
  test('thousands of hooks under long names are one bounded entry, read without hashing, and moved aside in one go', async () => {
    repo = makeRepo();
    repo.commit('init');
    const start = readGitExecSurface(repo.dir);
    const hooks = join(repo.dir, '.git/hooks');
    const n = 3000;
    for (let i = 0; i < n; i++) {
      // Sparse 8 MiB files: hashing each cost the loop about 26 ms, every tick.
      const fd = openSync(join(hooks, `${'h'.repeat(200)}${i}`), 'w');
      ftruncateSync(fd, 8 * 1024 * 1024);
      closeSync(fd);
    }
    writeFileSync(join(hooks, 'commit-msg'), '#!/bin/sh\n');
    const t0 = performance.now();
    const now = readGitExecSurface(repo.dir);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(now.hooks).toEqual({ 'commit-msg': expect.stringMatching(/^[0-9a-f]{64}$/), [`(hooks directory has ${n + 1} entries)`]: 'other' });
    expect(JSON.stringify(now).length).toBeLessThan(4096);
    expect(plantedSince(start, now).hooks).toEqual([`(hooks directory has ${n + 1} entries)`, 'commit-msg']);
    expect(await disableStray(repo.dir, start, 2)).toEqual([]);
    expect(plantedSince(start, readGitExecSurface(repo.dir)).hooks).toEqual([]);
    expect(existsSync(join(repo.dir, '.git/peers-disabled-hooks/tick-2/hooks/commit-msg'))).toBe(true);
  });

  test(`at most ${MAX_HOOK_ENTRIES} hooks and ${MAX_CONFIG_ENTRIES} config entries are listed`, () => {
    repo = makeRepo();
    repo.commit('init');
    for (let i = 0; i < MAX_HOOK_ENTRIES; i++) writeFileSync(join(repo.dir, '.git/hooks', `x${i}`), '');
    expect(Object.keys(readGitExecSurface(repo.dir).hooks).length).toBe(MAX_HOOK_ENTRIES);
    writeFileSync(join(repo.dir, '.git/hooks/one-more'), '');
    expect(Object.keys(readGitExecSurface(repo.dir).hooks)).toEqual([`(hooks directory has ${MAX_HOOK_ENTRIES + 1} entries)`]);
    const flood = Array.from({ length: 1000 }, (_, i) => `[filter "f${i}"]\n\tclean = ${'v'.repeat(1000)}\n`).join('');
    writeFileSync(join(repo.dir, '.git/config'), `${readFileSync(join(repo.dir, '.git/config'), 'utf8')}${flood}`);
    const config = readGitExecSurface(repo.dir).config;
    expect(config.length).toBe(MAX_CONFIG_ENTRIES + 1);
    expect(config.at(-1)).toBe('(config has 1001 code-running entries)'); // commit.gpgsign, the fixture's own
    expect(config.every((c) => c.length <= 300)).toBe(true);
  });
});
