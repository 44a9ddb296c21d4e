/**
 * Scripted peers take turns on a real repository; after each turn the loop's post-tick call runs,
 * exactly as the loop makes it. What the loop would record and tell the next peer is asserted.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestedPeer } from '../../../src/protocol/attestation.ts';
import { takeControlPlaneSnapshot } from '../../../src/protocol/control-plane-guard.ts';
import { initialAntiCheatState, type AntiCheatPeerState } from '../../../src/protocol/anti-cheat.ts';
import { runPostTickProtocol } from '../../../src/protocol/post-tick.ts';
import { isSoftGoalPassed, type SoftGoalRule, type SoftStatus } from '../../../src/protocol/soft-reviews.ts';
import { prepareRunContext } from '../../../src/recon/run-context.ts';
import { makeRepo, type Repo } from '../../unit/protocol/git-fixture.ts';
import { bugReport } from '../../unit/protocol/git-fixture.ts';

let repo: Repo;
const dirs: string[] = [];
afterEach(() => {
  repo?.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const GOALS: SoftGoalRule[] = [{ id: 'api-clear', reviewer: 'other', consensus_needed: 2 }];
const PEERS = ['alice', 'bob'];
const handoff = (peer: string, subject: string) => `${subject}\n\n## Self-Review\nre-read the diff\n\nPeer: ${peer}\nPeer-Status: handoff\nSelf-Review: pass`;
const review = (peer: string, pass: boolean) => `Review api-clear\n\n## Review\n{"pass": ${pass}, "notes": "read it"}\n\nPeer-Review-Of: api-clear\nPeer: ${peer}`;

describe('post-tick protocol over a scripted run', () => {
  test('reviews reach consensus, a bug report is counted, test-only turns are warned then reverted, and .peers edits are reported', () => {
    repo = makeRepo();
    repo.commit('init', { 'src/api.ts': 'export const v = 1;\n', 'src/api.test.ts': "test('v', () => {});\n", '.peers/goals.yaml': 'goals: []\n' });
    const snap = mkdtempSync(join(tmpdir(), 'peers-h7-snap-'));
    dirs.push(snap);
    takeControlPlaneSnapshot(repo.dir, snap);
    let soft: Record<string, SoftStatus> = {};
    const anti: Record<string, AntiCheatPeerState> = { alice: initialAntiCheatState(), bob: initialAntiCheatState() };

    const tick = (peer: string, act: () => void) => {
      const before = repo.head();
      act();
      const r = runPostTickProtocol({ repo: repo.dir, peer, before, success: true, snapshotDir: snap, softGoals: GOALS, softStatus: soft, peerOrder: PEERS, antiCheat: anti[peer]! });
      soft = r.softStatus;
      anti[peer] = r.antiCheat.next;
      return r;
    };

    // 1. alice implements and reviews; bob reviews too → consensus from two attested peers.
    let r = tick('alice', () => {
      repo.commit(handoff('alice', 'Add v2'), { 'src/api.ts': 'export const v = 2;\n' });
      repo.commit(review('alice', true));
    });
    expect(r.attested).toHaveLength(2);
    expect(r.warnings).toEqual([]);
    expect(attestedPeer(repo.dir, repo.head())).toBe('alice');
    r = tick('bob', () => {
      repo.commit(review('bob', true));
      repo.commit(bugReport('BUG-001', 'high', '', 'bob'));
    });
    expect(r.reviews.map((x) => x.reviewer)).toEqual(['bob']);
    expect(isSoftGoalPassed(GOALS[0]!, soft['api-clear']!, PEERS)).toBe(true);
    expect(r.newBlockingReports).toBe(1);

    // 2. alice focuses a test and touches nothing else: warned, marker reported with file:line.
    r = tick('alice', () => repo.commit(handoff('alice', 'Focus test'), { 'src/api.test.ts': "test.only('v', () => {});\n" }));
    expect(r.antiCheat.action).toBe('warn');
    expect(r.warnings).toContain('test-marker: src/api.test.ts:1: only: test.only(\'v\', () => {});');
    expect(r.warnings.some((w) => w.startsWith('anti-cheating pre-warning'))).toBe(true);

    // 3. again test-only: reverted by peers-substrate; the focused test is gone from the tree.
    const beforeRevert = repo.head();
    r = tick('alice', () => repo.commit(handoff('alice', 'Weaken test'), { 'src/api.test.ts': "test.only('v', () => { return; });\n" }));
    expect(r.antiCheat.action).toBe('revert');
    expect(r.revert?.method).toBe('revert');
    expect(r.head).not.toBe(beforeRevert);
    expect(readFileSync(join(repo.dir, 'src/api.test.ts'), 'utf8')).toBe("test.only('v', () => {});\n");
    expect(attestedPeer(repo.dir, r.head!)).toBe('peers-substrate');

    // 4. bob edits the goals: reported (live file vs snapshot, and in the commit range), snapshot untouched.
    r = tick('bob', () => repo.commit(handoff('bob', 'Relax goals'), { '.peers/goals.yaml': 'goals: [] # nothing to do\n', 'src/api.ts': 'export const v = 3;\n' }));
    expect(r.controlPlaneEdits).toEqual([{ path: '.peers/goals.yaml', change: 'modified' }]);
    expect(r.warnings.some((w) => w.includes('control-plane edit detected (.peers/goals.yaml modified)'))).toBe(true);
    expect(readFileSync(join(snap, 'goals.yaml'), 'utf8')).toBe('goals: []\n');
  });

  test('a tick that made no commit does nothing and resets the anti-cheat streak on failure', () => {
    repo = makeRepo();
    const head = repo.commit('init');
    const r = runPostTickProtocol({ repo: repo.dir, peer: 'alice', before: head, success: false, softGoals: GOALS, softStatus: {}, peerOrder: PEERS, antiCheat: { prewarned: 'x', consecutiveReverts: 1 } });
    expect(r).toMatchObject({ head, attested: [], reviews: [], markers: [], newBlockingReports: 0, warnings: [] });
    expect(r.antiCheat.next).toEqual({ prewarned: 'x', consecutiveReverts: 0 });
  });
});

describe('context before tick 1', () => {
  test('writes recon.md, CODEMAP.yaml and codemap.md into the state dir, each optional', () => {
    repo = makeRepo();
    repo.commit('init', { 'README.md': '# P\n', 'src/m.py': 'def run(argv):\n    """Run it."""\n' });
    const state = mkdtempSync(join(tmpdir(), 'peers-h7-state-'));
    dirs.push(state);
    const res = prepareRunContext(repo.dir, state);
    expect(res.warnings).toEqual([]);
    expect(res.codemap?.symbols).toBe(1);
    expect(readFileSync(join(state, 'codemap.md'), 'utf8')).toContain('def run(argv)');
    expect(readFileSync(join(state, 'recon.md'), 'utf8')).toContain('## README');
    const only = mkdtempSync(join(tmpdir(), 'peers-h7-state-'));
    dirs.push(only);
    prepareRunContext(repo.dir, only, { codemap: false });
    expect(existsSync(join(only, 'recon.md'))).toBe(true);
    expect(existsSync(join(only, 'CODEMAP.yaml'))).toBe(false);
  });
});
