/**
 * The anti-cheat and control-plane rules as the loop applies them after each tick, on a real git
 * repository: a scripted peer makes commits, then the same calls the loop makes decide and act.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCommits } from '../../../src/git/commits.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { RunnerWorkspaceGit } from '../../../src/git/workspace-git.ts';
import { LocalPeerRunner } from '../../../src/proc/peer-runner.ts';
import { attestedPeer } from '../../../src/protocol/attestation.ts';
import { decideAntiCheat, initialAntiCheatState, revertTurn, type AntiCheatPeerState } from '../../../src/protocol/anti-cheat.ts';
import { turnDiff } from '../../../src/protocol/turn-diff.ts';
import { controlPlaneEditsInRange, detectControlPlaneEdits, takeControlPlaneSnapshot } from '../../../src/protocol/control-plane-guard.ts';
import { makeRepo, sh, type Repo } from '../../unit/protocol/git-fixture.ts';

let repo: Repo;
const dirs: string[] = [];
afterEach(() => {
  repo?.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The loop's view of the repository: the trusted mirror, and git in the workspace (here: local). */
function observe() {
  const scratch = mkdtempSync(join(tmpdir(), 'peers-h7-obs-'));
  dirs.push(scratch);
  const observer = new RunObserver({ workDir: repo.dir, mirror: join(scratch, 'mirror.git'), stage: join(scratch, 'stage.git'), lenient: false });
  return { observer, workspace: new RunnerWorkspaceGit(new LocalPeerRunner(), repo.dir, observer, { PATH: process.env.PATH! }) };
}

/** One tick of the loop's post-run anti-cheat step, reading through the mirror as the loop does. */
async function afterTick(state: AntiCheatPeerState, before: string, justifiedByOther?: { reason: string; by: string }) {
  const { observer, workspace } = observe();
  const head = observer.sync().head!;
  const diff = turnDiff(observer.mirror, before, head);
  const decision = decideAntiCheat(state, { peer: 'alice', success: true, diff, justifiedByOther, turnedGreen: [] });
  const revert = decision.action === 'revert' ? await revertTurn(observer, workspace, before, decision.reason!) : undefined;
  return { decision, revert, observer };
}

describe('test-only turns', () => {
  test('warned the first time, reverted by a peers-substrate commit the second time', async () => {
    repo = makeRepo();
    repo.commit('init', { 'src/calc.py': 'def add(a, b):\n    return a - b\n', 'tests/test_calc.py': 'def test_add():\n    assert add(1, 1) == 2\n' });

    let before = repo.head();
    repo.commit('loosen test\n\nPeer: alice\nPeer-Status: handoff', { 'tests/test_calc.py': 'def test_add():\n    assert add(1, 1) is not None\n' });
    const t1 = await afterTick(initialAntiCheatState(), before);
    expect(t1.decision.action).toBe('warn');
    expect(t1.revert).toBeUndefined();

    before = repo.head();
    repo.commit('loosen more\n\nPeer: alice\nPeer-Status: handoff', { 'tests/test_calc.py': 'def test_add():\n    pass\n' });
    const t2 = await afterTick(t1.decision.next, before);
    expect(t2.decision.action).toBe('revert');
    expect(t2.revert?.method).toBe('revert');
    // The tree is back to the pre-turn test, history was only extended, and the revert is signed.
    expect(readFileSync(join(repo.dir, 'tests/test_calc.py'), 'utf8')).toContain('is not None');
    const head = listCommits(repo.dir, 'HEAD', { newestFirst: true, limit: 1 })[0]!;
    expect(head.subject).toStartWith('Anti-cheating revert: the turn changed only tests');
    expect(head.trailers.get('Peers-Reverted')).toBe(`${before}..${listCommits(repo.dir, 'HEAD~1', { newestFirst: true, limit: 1 })[0]!.sha}`);
    expect(head.trailers.get('Peer')).toBe('peers-substrate');
    expect(head.authorEmail).toBe('peers-substrate@local');
    // Attested in the mirror, where no peer can write (never in the peers' repository).
    expect(attestedPeer(t2.observer.mirror, head.sha)).toBe('peers-substrate');
    expect(attestedPeer(repo.dir, head.sha)).toBeUndefined();
    expect(sh(repo.dir, ['rev-list', '--count', 'HEAD']).trim()).toBe('4');
  });

  test('JUSTIFIED-TEST-ONLY written by another peer is accepted instead of reverted', async () => {
    repo = makeRepo();
    repo.commit('init', { 'src/a.ts': 'export const a = 1;\n', 'src/a.test.ts': "test('a', () => {});\n" });
    const warned = decideAntiCheat(initialAntiCheatState(), { peer: 'alice', success: true, diff: { testLines: 1, srcLines: 0, cosmeticLines: 0, testFiles: [], srcFiles: [], cosmeticFiles: [] }, turnedGreen: [] }).next;
    const before = repo.head();
    repo.commit('more tests\n\nPeer: alice', { 'src/a.test.ts': "test('a', () => {});\ntest('empty', () => {});\n" });
    const t = await afterTick(warned, before, { reason: 'the empty-input class had no test at all', by: 'bob' });
    expect(t.decision.action).toBe('accept-justified');
    expect(t.decision.justification).toBe('the empty-input class had no test at all');
    expect(repo.head()).not.toBe(before);
  });

  test('the revert is built in the mirror and applied whatever the working tree holds', async () => {
    repo = makeRepo();
    const before = repo.commit('init', { 'tests/t_test.go': 'package t\n' });
    const peerHead = repo.commit('edit', { 'tests/t_test.go': 'package t\n// x\n' });
    // A dirty working tree (it blocked `git revert` when the loop ran git in the repository).
    writeFileSync(join(repo.dir, 'tests/t_test.go'), 'package t\n// uncommitted\n');
    const { observer, workspace } = observe();
    observer.sync();
    const out = await revertTurn(observer, workspace, before, 'test-only');
    expect(out.method).toBe('revert');
    expect(repo.head()).toBe(out.sha!);
    expect(sh(repo.dir, ['rev-parse', `${out.sha}~1`]).trim()).toBe(peerHead);
    expect(readFileSync(join(repo.dir, 'tests/t_test.go'), 'utf8')).toBe('package t\n');
    expect(observer.head()).toBe(out.sha!);
  });
});

describe('control-plane edits', () => {
  test('goals edited, a check added and config deleted by a peer are all detected against the snapshot', () => {
    repo = makeRepo();
    repo.commit('init', { '.peers/goals.yaml': 'goals:\n  - {id: t, type: hard, cmd: "npm test", pass_when: "exit_code == 0"}\n', '.peers/config.yaml': 'peers: []\n' });
    const snap = mkdtempSync(join(tmpdir(), 'peers-h7-snap-'));
    dirs.push(snap);
    expect(takeControlPlaneSnapshot(repo.dir, snap).sort()).toEqual(['config.yaml', 'goals.yaml']);
    expect(detectControlPlaneEdits(repo.dir, snap)).toEqual([]);

    const before = repo.head();
    repo.commit('weaken goals\n\nPeer: alice', { '.peers/goals.yaml': 'goals:\n  - {id: t, type: hard, cmd: "true", pass_when: "exit_code == 0"}\n', '.peers/checks/fake.sh': 'exit 0\n', '.peers/config.yaml': null, '.peers/checks/café "x".sh': 'exit 0\n' });
    expect(detectControlPlaneEdits(repo.dir, snap)).toEqual([
      { path: '.peers/config.yaml', change: 'deleted' },
      { path: '.peers/goals.yaml', change: 'modified' },
      { path: '.peers/checks/café "x".sh', change: 'added' },
      { path: '.peers/checks/fake.sh', change: 'added' },
    ]);
    // Named as they are, not as git quotes them (`".peers/checks/caf\303\251 \"x\".sh"`).
    expect(controlPlaneEditsInRange(repo.dir, before)).toEqual([
      { path: '.peers/checks/café "x".sh', change: 'added' },
      { path: '.peers/checks/fake.sh', change: 'added' },
      { path: '.peers/config.yaml', change: 'deleted' },
      { path: '.peers/goals.yaml', change: 'modified' },
    ]);
    // The snapshot the loop enforces is untouched.
    expect(readFileSync(join(snap, 'goals.yaml'), 'utf8')).toContain('npm test');
  });

  test('a goals file swapped for a symlink is reported, not followed', () => {
    repo = makeRepo();
    repo.commit('init', { '.peers/goals.yaml': 'goals: []\n' });
    const snap = mkdtempSync(join(tmpdir(), 'peers-h7-snap-'));
    dirs.push(snap);
    takeControlPlaneSnapshot(repo.dir, snap);
    rmSync(join(repo.dir, '.peers/goals.yaml'));
    symlinkSync('/etc/hostname', join(repo.dir, '.peers/goals.yaml'));
    expect(detectControlPlaneEdits(repo.dir, snap)).toEqual([{ path: '.peers/goals.yaml', change: 'not-a-regular-file' }]);
  });
});
