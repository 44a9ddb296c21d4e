/**
 * The anti-cheat revert on a real repository, through the trusted mirror and a local workspace:
 * the undoing commit is the loop's (its identity, its attestation, a trailer naming the undone
 * range), restores the tree of the turn's start, and every way it cannot be made is reported.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { RunnerWorkspaceGit } from '../../../src/git/workspace-git.ts';
import { LocalPeerRunner } from '../../../src/proc/peer-runner.ts';
import { revertTurn } from '../../../src/protocol/anti-cheat.ts';
import { attestedPeer } from '../../../src/protocol/attestation.ts';
import { makeRepo, sh, type Repo } from './git-fixture.ts';

let repo: Repo;
const dirs: string[] = [];
afterEach(() => {
  repo?.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function observe(path = process.env.PATH!) {
  const scratch = mkdtempSync(join(tmpdir(), 'peers-revert-obs-'));
  dirs.push(scratch);
  const observer = new RunObserver({ workDir: repo.dir, mirror: join(scratch, 'mirror.git'), stage: join(scratch, 'stage.git'), lenient: false });
  return { observer, workspace: new RunnerWorkspaceGit(new LocalPeerRunner(), repo.dir, observer, { PATH: path }) };
}

describe('revertTurn', () => {
  test('the revert is one commit by peers-substrate, attested to it, naming the undone range, with the tree of the turn\'s start', async () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'tests/a_test.go': 'package t\n' });
    const peerHead = repo.commit('loosen\n\nPeer: alice', { 'tests/a_test.go': 'package t\n// weaker\n' });
    const { observer, workspace } = observe();
    observer.sync();
    const out = await revertTurn(observer, workspace, before, 'the turn changed only tests');
    expect(out).toEqual({ method: 'revert', sha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const sha = out.sha!;
    expect(repo.head()).toBe(sha);
    expect(sh(repo.dir, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', sha]).trim()).toBe('peers-substrate <peers-substrate@local>|peers-substrate <peers-substrate@local>');
    expect(sh(repo.dir, ['log', '-1', '--format=%B', sha]).trim()).toBe(`Anti-cheating revert: the turn changed only tests\n\nPeer: peers-substrate\nPeers-Reverted: ${before}..${peerHead}`);
    expect(sh(repo.dir, ['rev-parse', `${sha}^{tree}`]).trim()).toBe(sh(repo.dir, ['rev-parse', `${before}^{tree}`]).trim());
    expect(sh(repo.dir, ['rev-parse', `${sha}~1`]).trim()).toBe(peerHead);
    expect(attestedPeer(observer.mirror, sha)).toBe('peers-substrate');
  });

  test('a mirror that has taken no head yet cannot revert, and says so', async () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'tests/a_test.go': 'package t\n' });
    const { observer, workspace } = observe();
    expect(await revertTurn(observer, workspace, before, 'x')).toEqual({ method: 'failed', error: 'the mirror has no head to revert' });
  });

  test('a start commit the mirror does not have is reported by its 12-character hash, and nothing moves', async () => {
    repo = makeRepo();
    repo.commit('init', { 'tests/a_test.go': 'package t\n' });
    const head = repo.commit('edit', { 'tests/a_test.go': 'package t\n// x\n' });
    const { observer, workspace } = observe();
    observer.sync();
    const missing = '0123456789abcdef0123456789abcdef01234567';
    expect(await revertTurn(observer, workspace, missing, 'x')).toEqual({ method: 'failed', error: '0123456789ab is not in the mirror' });
    expect(repo.head()).toBe(head);
  });

  test('a workspace that does not take the move is reported as a failed revert', async () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'tests/a_test.go': 'package t\n' });
    repo.commit('edit', { 'tests/a_test.go': 'package t\n// x\n' });
    const { observer } = observe();
    observer.sync();
    const refusing = new RunnerWorkspaceGit(new LocalPeerRunner(), repo.dir, observer, { PATH: '/nonexistent' });
    const out = await revertTurn(observer, refusing, before, 'x');
    expect(out.method).toBe('failed');
    expect(out.error).toStartWith('anti-cheating revert: moving the clone');
    expect(out.sha).toBeUndefined();
  });
});
