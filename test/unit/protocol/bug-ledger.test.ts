import { afterEach, describe, expect, test } from 'bun:test';
import { listCommits } from '../../../src/git/commits.ts';
import { countNewBlockingReports, formatLedgerHeader, openBlockingBugs, readLedger, summarizeLedger } from '../../../src/protocol/bug-ledger.ts';
import { bugReport, bugResolve, makeRepo, type Repo } from './git-fixture.ts';

let repo: Repo;
afterEach(() => repo?.cleanup());

describe('bug ledger rebuilt from git history', () => {
  test('a bug filed, then fixed, is closed and no longer blocks', () => {
    repo = makeRepo();
    repo.commit('init', { 'src/x.ts': 'export const x = 1;\n' });
    repo.commit(bugReport('BUG-001', 'high'));
    let ledger = readLedger(repo.dir);
    expect(openBlockingBugs(ledger).map((b) => b.id)).toEqual(['BUG-001']);
    const bug = ledger.reports[0]!;
    expect(bug).toMatchObject({ severity: 'high', fixBy: 'bob', location: 'src/x.ts:42', file: 'src/x.ts', foundBy: 'alice', status: 'open', open: true });

    const fix = repo.commit(bugResolve('BUG-001'), { 'src/x.ts': 'export const x = 2;\n' });
    ledger = readLedger(repo.dir);
    expect(ledger.reports[0]).toMatchObject({ id: 'BUG-001', status: 'fixed', open: false });
    expect(ledger.reports[0]!.resolution).toMatchObject({ sha: fix, resolvedBy: 'bob', note: 'guarded' });
    expect(summarizeLedger(ledger)).toMatchObject({ total: 1, openBlocking: 0, fixed: 1 });
  });

  test('a decoy JSON block cannot lower a report severity', () => {
    repo = makeRepo();
    // The decoy names the same id with "low" and a different id with "info": the crit block gates.
    repo.commit(bugReport('BUG-007', 'crit', '\nActually minor:\n{"id": "BUG-007", "severity": "low"}\n{"id": "OTHER", "severity": "info"}'));
    expect(readLedger(repo.dir).reports[0]!.severity).toBe('crit');
  });

  test('a decoy block with another id cannot stand in for the report; the missing block means info with a warning', () => {
    repo = makeRepo();
    repo.commit('BUG-009: thing\n\n{"id": "BUG-999", "severity": "crit"}\n\nPeer: alice\nBug-Report: BUG-009');
    const ledger = readLedger(repo.dir);
    expect(ledger.reports[0]).toMatchObject({ id: 'BUG-009', severity: 'info', title: 'BUG-009: thing' });
    expect(ledger.warnings.join('\n')).toContain('no JSON block with "id": "BUG-009"');
  });

  test('an unknown severity is recorded as info with a warning', () => {
    repo = makeRepo();
    repo.commit(bugReport('BUG-002', 'catastrophic'));
    const ledger = readLedger(repo.dir);
    expect(ledger.reports[0]!.severity).toBe('info');
    expect(ledger.warnings.join('\n')).toContain('outside crit|high|med|low|info');
  });

  test('wontfix, duplicate and invalid keep a bug open; a deferral by a peer other than fix_by closes it', () => {
    repo = makeRepo();
    for (const [id, status] of [['B-1', 'wontfix'], ['B-2', 'duplicate'], ['B-3', 'invalid'], ['B-4', 'deferred'], ['B-5', 'nonsense']] as const) {
      repo.commit(bugReport(id, 'med'));
      repo.commit(bugResolve(id, status, 'carol'));
    }
    const ledger = readLedger(repo.dir);
    const byId = Object.fromEntries(ledger.reports.map((r) => [r.id, r]));
    expect(byId['B-1']).toMatchObject({ status: 'wontfix', open: true });
    expect(byId['B-2']).toMatchObject({ status: 'duplicate', open: true });
    expect(byId['B-3']).toMatchObject({ status: 'invalid', open: true });
    expect(byId['B-4']).toMatchObject({ status: 'deferred', open: false });
    expect(byId['B-5']).toMatchObject({ status: 'invalid', open: true });
    expect(summarizeLedger(ledger).openBlocking).toBe(4);
    expect(ledger.warnings.join('\n')).toContain('recorded as invalid');
  });

  test('Bug-Defer by another peer closes with its reason; a defer without a reason warns', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'high')); // fix_by bob
    repo.commit('Defer B-1\n\n{"defers": "B-1", "reason": "needs the v2 storage layer"}\n\nPeer: alice\nBug-Defer: B-1');
    repo.commit(bugReport('B-2', 'high'));
    repo.commit('Defer B-2\n\nPeer: alice\nBug-Defer: B-2');
    const ledger = readLedger(repo.dir);
    expect(ledger.reports.find((r) => r.id === 'B-1')).toMatchObject({ status: 'deferred', open: false });
    expect(ledger.reports.find((r) => r.id === 'B-1')!.resolution!.note).toBe('needs the v2 storage layer');
    expect(ledger.warnings.join('\n')).toContain('Bug-Defer B-2');
  });

  test('a deferral by the peer that must fix the bug does not close it, until another peer approves that commit', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(bugReport('B-1', 'high', '', 'alice')); // fix_by bob
    const defer = repo.commit('Defer B-1\n\n{"defers": "B-1", "reason": "out of scope for this release"}\n\nPeer: bob\nBug-Defer: B-1');
    let ledger = readLedger(repo.dir, base);
    expect(ledger.reports[0]).toMatchObject({ id: 'B-1', status: 'open', open: true });
    expect(ledger.warnings.join('\n')).toContain(`deferral of B-1 in ${defer.slice(0, 8)} does not count: it is vouched for only by bob, who must fix the bug`);
    // A trailer claiming to be alice changes nothing: the attestation says bob.
    repo.commit(`Approve\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: ${defer.slice(0, 12)}\nPeer: alice`, {}, 'bob');
    expect(readLedger(repo.dir, base).reports[0]!.open).toBe(true);
    // alice's own approval counts.
    repo.commit(`Approve the deferral\n\n## Review\n{"pass": true, "notes": "agreed, v2"}\n\nPeer-Review-Of: ${defer.slice(0, 12)}\nPeer: alice`);
    ledger = readLedger(repo.dir, base);
    expect(ledger.reports[0]).toMatchObject({ status: 'deferred', open: false });
  });

  // Attack: the peer that must fix a bug re-files it under the same id naming another peer in
  // fix_by (the newest filing is the one kept), then defers it itself: the deferral counted.
  test('a bug re-filed by the peer that must fix it, naming another in fix_by, cannot then be deferred by that peer', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(bugReport('B-1', 'high', '', 'alice')); // filed by alice, fix_by bob
    repo.commit('B-1: something breaks\n\n## Bug-Report\n{"id": "B-1", "severity": "high", "fix_by": "alice", "location": "src/x.ts:42", "description": "crashes on empty input"}\n\nPeer: bob\nBug-Report: B-1');
    const defer = repo.commit('Defer B-1\n\n{"defers": "B-1", "reason": "out of scope for this release"}\n\nPeer: bob\nBug-Defer: B-1');
    let ledger = readLedger(repo.dir, base);
    expect(ledger.reports[0]).toMatchObject({ id: 'B-1', fixBy: 'alice', status: 'open', open: true });
    expect(ledger.warnings.join('\n')).toContain(`deferral of B-1 in ${defer.slice(0, 8)} does not count: it is vouched for only by bob`);
    // A peer no filing names may still defer it.
    repo.commit('Defer B-1\n\n{"defers": "B-1", "reason": "needs the v2 storage layer"}\n\nPeer: carol\nBug-Defer: B-1');
    ledger = readLedger(repo.dir, base);
    expect(ledger.reports[0]).toMatchObject({ status: 'deferred', open: false });
  });

  test('commits before the run are the operator\'s: their deferrals count; an unattested deferral in the run does not', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'high', '', 'alice'), {}, null);
    repo.commit('Defer B-1\n\n{"defers": "B-1", "reason": "the operator parked it"}\n\nBug-Defer: B-1', {}, null);
    const base = repo.commit('run starts here', {}, null);
    repo.commit(bugReport('B-2', 'high', '', 'alice'), {}, null);
    repo.commit('Defer B-2\n\n{"defers": "B-2", "reason": "nobody knows who wrote this"}\n\nBug-Defer: B-2', {}, null);
    const byId = Object.fromEntries(readLedger(repo.dir, base).reports.map((r) => [r.id, r]));
    expect(byId['B-1']).toMatchObject({ status: 'deferred', open: false });
    expect(byId['B-2']).toMatchObject({ status: 'open', open: true });
  });

  test('a newer re-filing reopens a fixed bug; an older resolution never closes it again', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'med'));
    repo.commit(bugResolve('B-1'));
    repo.commit(bugReport('B-1', 'high'));
    const ledger = readLedger(repo.dir);
    expect(ledger.reports).toHaveLength(1);
    expect(ledger.reports[0]).toMatchObject({ severity: 'high', open: true, status: 'open' });
    expect(ledger.warnings.join('\n')).toContain('treating the bug as reopened');
  });

  test('an older filing with a higher severity raises the newer one', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'crit'));
    repo.commit(bugReport('B-1', 'low'));
    const ledger = readLedger(repo.dir);
    expect(ledger.reports[0]!.severity).toBe('crit');
    expect(ledger.warnings.join('\n')).toContain('the highest severity gates');
  });

  test('a second resolution of the same bug is ignored; resolving an unfiled bug warns', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'med'));
    repo.commit(bugResolve('B-1', 'fixed'));
    repo.commit(bugResolve('B-1', 'wontfix'));
    repo.commit(bugResolve('GHOST-1'));
    const ledger = readLedger(repo.dir);
    // Newest first: the later wontfix is the resolution of record; the older "fixed" is ignored.
    expect(ledger.reports[0]).toMatchObject({ status: 'wontfix', open: true });
    expect(ledger.warnings.join('\n')).toContain('already resolved by a newer commit');
    expect(ledger.warnings.join('\n')).toContain('GHOST-1');
  });

  test('reproduce commits are collected, including the legacy subject form', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'med'));
    const r1 = repo.commit('Reproduce\n\nPeer: bob\nBug-Reproduce: B-1', { 'tests/test_x.py': 'def test_x(): assert False\n' });
    const r2 = repo.commit('TDD: reproducer for B-1', { 'tests/test_y.py': 'def test_y(): assert False\n' });
    const ledger = readLedger(repo.dir);
    expect(ledger.reports[0]!.reproduceShas).toEqual([r2, r1]);
    expect(summarizeLedger(ledger).reproduced).toBe(1);
  });

  test('an empty repository has an empty ledger and a clean header', () => {
    repo = makeRepo();
    const s = summarizeLedger(readLedger(repo.dir));
    expect(formatLedgerHeader(s)).toBe('bug-hunt: 0 blocking open (crit=0 high=0 med=0 low=0 info=0); 0 total reported, 0 fixed, 0 deferred, 0 have reproduce-tests');
  });

  test('countNewBlockingReports counts blocking and weak-fix flags in a tick range, not advisory ones', () => {
    repo = makeRepo();
    const base = repo.commit('init');
    repo.commit(bugReport('B-1', 'low'));
    repo.commit(bugReport('B-2', 'high'));
    repo.commit('flag\n\nPeer: a\nBug-Report: weak-fix:B-2');
    expect(countNewBlockingReports(listCommits(repo.dir, `${base}..HEAD`))).toBe(2);
    // The weak-fix flag is only info in the ledger: it resets streaks but never blocks.
    expect(readLedger(repo.dir).reports.find((r) => r.id === 'weak-fix:B-2')!.severity).toBe('info');
  });
});
