/**
 * The bug ledger without git: `buildLedger` over commits built in memory (newest first, as git
 * lists them), with the attestation given per commit. What a user sees from it: which bugs block
 * the run, their severity and owner, which resolutions and deferrals count, the warnings each peer
 * is shown, and the `peers bugs` lines. bug-ledger.test.ts runs the same rules on real repositories.
 */
import { describe, expect, test } from 'bun:test';
import type { Commit } from '../../../src/git/commits.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import { makeAttestationView, OPERATOR, type Approval } from '../../../src/protocol/approvals.ts';
import {
  buildLedger,
  countNewBlockingReports,
  formatBugLine,
  formatLedgerHeader,
  normalizeSeverity,
  openBlockingBugs,
  selectReportBlock,
  summarizeLedger,
  type BugReport,
  type Severity,
} from '../../../src/protocol/bug-ledger.ts';

const shaOf = (i: number) => `${(i + 1).toString(16).padStart(2, '0')}abcdef`.repeat(5);
const commit = (sha: string, message: string): Commit => ({ sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });

/** A commit and who the loop attested it to (default: the peer its `Peer:` trailer names; null: nobody). */
type Entry = string | { message: string; by: string | null };

/** Builds the ledger of `entries` given OLDEST first; returns it with each entry's sha. */
function build(entries: Entry[], approvals: Approval[] = []) {
  const shas = entries.map((_, i) => shaOf(i));
  const peers = new Map<string, string>();
  const commits = entries.map((e, i) => {
    const message = typeof e === 'string' ? e : e.message;
    const by = typeof e === 'string' ? /^Peer: (\S+)$/m.exec(message)?.[1] : e.by;
    if (by) peers.set(shas[i]!, by);
    return commit(shas[i]!, message);
  });
  const ledger = buildLedger(commits.reverse(), makeAttestationView((s) => peers.get(s), approvals));
  return { ledger, shas, warnings: ledger.warnings.join('\n'), byId: Object.fromEntries(ledger.reports.map((r) => [r.id, r])) as Record<string, BugReport> };
}

const report = (id: string, block: Record<string, unknown> | string, peer = 'alice') =>
  `${id}: something breaks\n\n## Bug-Report\n${typeof block === 'string' ? block : JSON.stringify({ id, ...block })}\n\nPeer: ${peer}\nBug-Report: ${id}`;
const resolve = (id: string, block: Record<string, unknown> | string = { status: 'fixed', note: 'guarded' }, peer = 'bob') =>
  `Resolve ${id}\n\n${typeof block === 'string' ? block : JSON.stringify({ resolves: id, ...block })}\n\nPeer: ${peer}\nBug-Resolves: ${id}`;
const defer = (id: string, block: Record<string, unknown> | string, peer: string) =>
  `Defer ${id}\n\n${typeof block === 'string' ? block : JSON.stringify({ defers: id, ...block })}\n\nPeer: ${peer}\nBug-Defer: ${id}`;

describe('a filed bug', () => {
  test('carries what its block says, credited to the attested peer, not the Peer trailer', () => {
    const { byId, shas } = build([
      { message: report('B-1', { severity: 'high', title: 'Crash', description: 'crashes on empty input', fix_by: 'bob', location: 'src/x.ts:42', function: 'parse', cwe: 'CWE-20' }, 'mallory'), by: 'alice' },
    ]);
    expect(byId['B-1']).toEqual({
      id: 'B-1',
      severity: 'high',
      title: 'Crash',
      description: 'crashes on empty input',
      fixBy: 'bob',
      location: 'src/x.ts:42',
      file: 'src/x.ts',
      function: 'parse',
      cwe: 'CWE-20',
      sha: shas[0]!,
      foundBy: 'alice',
      status: 'open',
      open: true,
      reproduceShas: [],
      position: 0,
    });
  });

  test('blank or missing text fields fall back: the subject as title, no description, the file from the location', () => {
    const { byId } = build([report('B-1', { severity: 'med', title: '   ', description: 7, location: 'lib/a.py', file: '' }), report('B-2', { severity: 'med', file: 'lib/b.py', location: 'lib/c.py:1' })]);
    expect(byId['B-1']).toMatchObject({ title: 'B-1: something breaks', description: '', location: 'lib/a.py', file: 'lib/a.py' });
    expect(byId['B-1']!.fixBy).toBeUndefined();
    expect(byId['B-2']!.file).toBe('lib/b.py');
    const noLocation = build([report('B-3', { severity: 'med' })]).byId['B-3']!;
    expect(noLocation.file).toBeUndefined();
    expect(noLocation.location).toBeUndefined();
  });

  test('the severity is read in any case and with spaces; anything else is info, with a warning naming it', () => {
    expect(normalizeSeverity(' HIGH ')).toBe('high');
    expect(normalizeSeverity(3)).toBeUndefined();
    expect(normalizeSeverity('')).toBeUndefined();
    const { byId, warnings, shas } = build([report('B-1', { severity: ' Crit ' }), report('B-2', { severity: 'urgent' })]);
    expect(byId['B-1']!.severity).toBe('crit');
    expect(byId['B-2']!.severity).toBe('info');
    expect(warnings).toBe(`B-2 (${shas[1]!.slice(0, 8)}) has severity "urgent" outside crit|high|med|low|info; treated as info`);
  });

  test('a report without its block is info, with a warning that says which block is missing', () => {
    const { byId, warnings, shas } = build(['B-1: boom\n\nno block at all\n\nPeer: alice\nBug-Report: B-1']);
    expect(byId['B-1']).toMatchObject({ severity: 'info', title: 'B-1: boom' });
    expect(warnings).toBe(`B-1 (${shas[0]!.slice(0, 8)}) has no JSON block with "id": "B-1"; treated as info`);
  });

  test('among blocks naming the bug the most severe one gates, whatever the order; equal ones keep the first', () => {
    const two = (a: string, b: string) => `{"id": "B-1", "severity": "${a}", "title": "first"}\n{"id": "B-1", "severity": "${b}", "title": "second"}`;
    expect(selectReportBlock(two('low', 'crit'), 'B-1')).toMatchObject({ severity: 'crit', block: { title: 'second' } });
    expect(selectReportBlock(two('crit', 'low'), 'B-1')).toMatchObject({ severity: 'crit', block: { title: 'first' } });
    expect(selectReportBlock(two('high', 'high'), 'B-1')).toMatchObject({ block: { title: 'first' } });
    expect(selectReportBlock(two('nonsense', 'info'), 'B-1')).toMatchObject({ severity: 'info', knownSeverity: false, block: { title: 'first' } });
    expect(selectReportBlock('{"id": "B-2", "severity": "crit"}', 'B-1')).toBeUndefined();
  });

  test('each severity outranks the one below it, whichever block comes first', () => {
    const order = ['info', 'low', 'med', 'high', 'crit'];
    for (let i = 1; i < order.length; i++) {
      const blocks = `{"id": "B-1", "severity": "${order[i - 1]}"}\n{"id": "B-1", "severity": "${order[i]}"}`;
      expect(selectReportBlock(blocks, 'B-1')!.severity).toBe(order[i] as Severity);
    }
  });

  test('a blank Bug-Report trailer files nothing', () => {
    const { ledger } = build(['Nothing\n\nPeer: alice\nBug-Report: ']);
    expect(ledger.reports).toEqual([]);
  });

  test('filed twice: the newest filing is kept and warned about; an older higher severity still gates', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'crit', title: 'old' }), report('B-1', { severity: 'low', title: 'new' })]);
    expect(byId['B-1']).toMatchObject({ severity: 'crit', title: 'new', sha: shas[1]!, position: 1 });
    expect(warnings).toBe(
      [
        `B-1 is filed again in ${shas[0]!.slice(0, 8)}; the newest filing (${shas[1]!.slice(0, 8)}) is kept`,
        `B-1: older filing ${shas[0]!.slice(0, 8)} has severity crit > low; the highest severity gates`,
      ].join('\n'),
    );
  });

  test('filed twice with the same severity: only the re-filing is warned about; a lower older one changes nothing', () => {
    expect(build([report('B-1', { severity: 'med' }), report('B-1', { severity: 'med' })]).ledger.warnings).toHaveLength(1);
    const lower = build([report('B-1', { severity: 'low' }), report('B-1', { severity: 'high' })]);
    expect(lower.byId['B-1']!.severity).toBe('high');
    expect(lower.ledger.warnings).toHaveLength(1);
    // An older filing without a block cannot lower or raise it either.
    expect(build(['B-1: x\n\nPeer: alice\nBug-Report: B-1', report('B-1', { severity: 'high' })]).byId['B-1']!.severity).toBe('high');
  });
});

describe('resolutions', () => {
  test('a fix closes the bug with its note, commit, history position and the attested resolver', () => {
    const { byId, shas, ledger } = build(['init', report('B-1', { severity: 'high', fix_by: 'bob' }), { message: resolve('B-1', { status: ' Fixed ', note: 'guarded' }, 'mallory'), by: 'bob' }]);
    expect(byId['B-1']).toMatchObject({ status: 'fixed', open: false, resolution: { status: 'fixed', sha: shas[2]!, note: 'guarded', resolvedBy: 'bob', position: 2 } });
    expect(ledger.warnings).toEqual([]);
  });

  test('a resolution without a status is a fix; one found by "id" counts; one naming another bug does not lend its status', () => {
    expect(build([report('B-1', { severity: 'high' }), resolve('B-1', 'no block')]).byId['B-1']).toMatchObject({ status: 'fixed', open: false, resolution: { note: '' } });
    expect(build([report('B-1', { severity: 'high' }), resolve('B-1', '{"id": "B-1", "status": "wontfix"}')]).byId['B-1']!.status).toBe('wontfix');
    expect(build([report('B-1', { severity: 'high' }), resolve('B-1', '{"resolves": "B-2", "status": "wontfix"}')]).byId['B-1']!.status).toBe('fixed');
  });

  test('an unknown status is recorded as invalid, keeps the bug open and says why', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'high' }), resolve('B-1', { status: 'done' })]);
    expect(byId['B-1']).toMatchObject({ status: 'invalid', open: true });
    expect(warnings).toBe(`Bug-Resolves B-1 in ${shas[1]!.slice(0, 8)}: status "done" is not fixed|deferred|wontfix|duplicate|invalid; recorded as invalid`);
  });

  test('resolving a bug that was never filed warns and closes nothing', () => {
    const { ledger, warnings, shas } = build([resolve('GHOST-1'), defer('GHOST-2', { reason: 'later' }, 'bob')]);
    expect(ledger.reports).toEqual([]);
    expect(warnings).toBe([`Bug-Defer GHOST-2 in ${shas[1]!.slice(0, 8)} names a bug that was never filed`, `Bug-Resolves GHOST-1 in ${shas[0]!.slice(0, 8)} names a bug that was never filed`].join('\n'));
  });

  test('a resolution older than a re-filing is ignored, and says the bug is reopened', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'med' }), resolve('B-1'), report('B-1', { severity: 'med' })]);
    expect(byId['B-1']).toMatchObject({ status: 'open', open: true });
    expect(byId['B-1']!.resolution).toBeUndefined();
    expect(warnings).toContain(`Bug-Resolves B-1 in ${shas[1]!.slice(0, 8)} ignored: B-1 was filed again later (${shas[2]!.slice(0, 8)}), treating the bug as reopened`);
  });

  test('"invalid" is a status of its own, recorded without a warning', () => {
    const { byId, ledger } = build([report('B-1', { severity: 'high' }), resolve('B-1', { status: 'invalid' })]);
    expect(byId['B-1']).toMatchObject({ status: 'invalid', open: true });
    expect(ledger.warnings).toEqual([]);
  });

  test('a deferral older than a re-filing is ignored too, and the warning names it a Bug-Defer', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'med', fix_by: 'bob' }), defer('B-1', { reason: 'parked for v2' }, 'carol'), report('B-1', { severity: 'med', fix_by: 'bob' })]);
    expect(byId['B-1']!.open).toBe(true);
    expect(warnings).toContain(`Bug-Defer B-1 in ${shas[1]!.slice(0, 8)} ignored: B-1 was filed again later (${shas[2]!.slice(0, 8)}), treating the bug as reopened`);
  });

  test('a blank Bug-Resolves or Bug-Defer trailer resolves nothing', () => {
    const { byId, ledger } = build([report('B-1', { severity: 'med' }), 'x\n\nPeer: bob\nBug-Resolves: ', 'y\n\nPeer: carol\nBug-Defer: ']);
    expect(byId['B-1']!.open).toBe(true);
    expect(ledger.warnings).toEqual([]);
  });
});

describe('deferrals: the peer that must fix a bug cannot excuse itself', () => {
  test('a deferral by another peer closes the bug with its reason (or note)', () => {
    const { byId } = build([report('B-1', { severity: 'high', fix_by: 'bob' }), defer('B-1', { reason: 'needs the v2 storage layer' }, 'carol')]);
    expect(byId['B-1']).toMatchObject({ status: 'deferred', open: false, resolution: { note: 'needs the v2 storage layer', resolvedBy: 'carol' } });
    expect(build([report('B-1', { severity: 'high', fix_by: 'bob' }), defer('B-1', '{"id": "B-1", "note": "parked"}', 'carol')]).byId['B-1']!.resolution!.note).toBe('parked');
  });

  test('a deferral without a reason still counts but warns', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'high', fix_by: 'bob' }), defer('B-1', '{"defers": "B-2", "reason": "another bug"}', 'carol')]);
    expect(byId['B-1']).toMatchObject({ status: 'deferred', open: false, resolution: { note: '' } });
    expect(warnings).toBe(`Bug-Defer B-1 in ${shas[1]!.slice(0, 8)} gives no reason`);
  });

  test('a deferral by fix_by does not count, says why and how to fix it; an older fix then stands', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'high', fix_by: 'bob' }), resolve('B-1', { status: 'wontfix' }, 'carol'), defer('B-1', { reason: 'not mine to fix really' }, 'bob')]);
    expect(byId['B-1']).toMatchObject({ status: 'wontfix', open: true, resolution: { sha: shas[1]! } });
    expect(warnings).toBe(
      `deferral of B-1 in ${shas[2]!.slice(0, 8)} does not count: it is vouched for only by bob, who must fix the bug; another peer must approve it: a review commit with "## Review" {"pass": true, ...} and the trailer "Peer-Review-Of: ${shas[2]!.slice(0, 12)}"`,
    );
  });

  test('without fix_by the deferring peer is the owner, so its own deferral never counts; an unattested one names nobody', () => {
    const own = build([report('B-1', { severity: 'high' }), defer('B-1', { reason: 'someone else later' }, 'bob')]);
    expect(own.byId['B-1']!.open).toBe(true);
    expect(own.warnings).toContain('it is vouched for only by bob, who must fix the bug');
    const unattested = build([report('B-1', { severity: 'high' }), { message: defer('B-1', { reason: 'who wrote this?' }, 'carol'), by: null }]);
    expect(unattested.byId['B-1']!.open).toBe(true);
    expect(unattested.warnings).toContain('it is vouched for only by an unattested commit, who must fix the bug');
  });

  test("another peer's approval makes fix_by's deferral count; the operator's deferral always counts", () => {
    const entries: Entry[] = [report('B-1', { severity: 'high', fix_by: 'bob' }), defer('B-1', { reason: 'out of scope for this release' }, 'bob')];
    const target = shaOf(1).slice(0, 12);
    expect(build(entries, [{ target, approver: 'alice', reviewSha: shaOf(9) }]).byId['B-1']!.open).toBe(false);
    expect(build(entries, [{ target, approver: 'bob', reviewSha: shaOf(9) }]).byId['B-1']!.open).toBe(true);
    expect(build([report('B-1', { severity: 'high', fix_by: 'bob' }), { message: defer('B-1', { reason: 'parked' }, 'bob'), by: OPERATOR }]).byId['B-1']!.open).toBe(false);
  });

  test('older resolutions behind the one that counts are each reported as ignored', () => {
    const { byId, warnings, shas } = build([report('B-1', { severity: 'med' }), resolve('B-1', { status: 'wontfix' }), resolve('B-1', { status: 'duplicate' }), resolve('B-1')]);
    expect(byId['B-1']).toMatchObject({ status: 'fixed', resolution: { sha: shas[3]! } });
    expect(warnings).toBe([`resolution of B-1 in ${shas[2]!.slice(0, 8)} ignored: already resolved by a newer commit`, `resolution of B-1 in ${shas[1]!.slice(0, 8)} ignored: already resolved by a newer commit`].join('\n'));
  });
});

describe('reproduce commits', () => {
  test('are listed per bug with their positions, oldest first, and on the report newest first; legacy subjects count once', () => {
    const { byId, ledger, shas } = build([
      report('B-1', { severity: 'med' }),
      'Reproduce\n\nPeer: bob\nBug-Reproduce: B-1',
      'TDD: reproducer for B-1\n\nPeer: bob\nBug-Reproduce: B-1',
      'Reproduce two\n\nPeer: bob\nBug-Reproduce: B-2\nBug-Reproduce:  ',
    ]);
    expect(ledger.reproduces.get('B-1')).toEqual([
      { sha: shas[1]!, position: 1 },
      { sha: shas[2]!, position: 2 },
    ]);
    expect(byId['B-1']!.reproduceShas).toEqual([shas[2]!, shas[1]!]);
    expect(ledger.reproduces.get('B-2')).toEqual([{ sha: shas[3]!, position: 3 }]);
    expect([...ledger.reproduces.keys()].sort()).toEqual(['B-1', 'B-2']);
  });
});

describe('what the run and `peers bugs` show', () => {
  const mixed = () =>
    build([
      report('L-1', { severity: 'low' }),
      report('H-1', { severity: 'high', title: 'High one', location: 'src/h.ts:1', fix_by: 'bob' }),
      report('C-1', { severity: 'crit' }),
      report('M-1', { severity: 'med' }),
      report('I-1', { severity: 'info' }),
      resolve('M-1'),
      report('D-1', { severity: 'high', fix_by: 'bob' }),
      defer('D-1', { reason: 'later' }, 'carol'),
      report('W-1', { severity: 'crit' }),
      resolve('W-1', { status: 'wontfix' }),
      'Reproduce\n\nPeer: bob\nBug-Reproduce: M-1',
    ]);

  test('reports are listed newest first; the blocking ones most severe first', () => {
    const { ledger } = mixed();
    expect(ledger.reports.map((r) => r.id)).toEqual(['W-1', 'D-1', 'I-1', 'M-1', 'C-1', 'H-1', 'L-1']);
    expect(openBlockingBugs(ledger).map((r) => r.id)).toEqual(['W-1', 'C-1', 'H-1']);
  });

  test('a newer, less severe bug is still listed after an older, more severe one', () => {
    const { ledger } = build([report('C-1', { severity: 'crit' }), report('M-1', { severity: 'med' }), report('H-1', { severity: 'high' })]);
    expect(ledger.reports.map((r) => r.id)).toEqual(['H-1', 'M-1', 'C-1']);
    expect(openBlockingBugs(ledger).map((r) => r.id)).toEqual(['C-1', 'H-1', 'M-1']);
  });

  test('the summary and its header line count each kind once', () => {
    const s = summarizeLedger(mixed().ledger);
    expect(s).toEqual({
      total: 7,
      openBlocking: 3,
      fixed: 1,
      deferred: 1,
      reproduced: 1,
      openBySeverity: { crit: 2, high: 1, med: 0, low: 1, info: 1 },
      bySeverity: { crit: 2, high: 2, med: 1, low: 1, info: 1 },
    });
    expect(formatLedgerHeader(s)).toBe('bug-hunt: 3 blocking open (crit=2 high=1 med=0 low=1 info=1); 7 total reported, 1 fixed, 1 deferred, 1 have reproduce-tests');
  });

  test('each bug line names severity, id, commit, owner, place and status', () => {
    const { byId, shas } = mixed();
    expect(formatBugLine(byId['H-1']!)).toBe(`  [high] H-1 (${shas[1]!.slice(0, 8)}, fix_by=bob, @ src/h.ts:1): High one`);
    expect(formatBugLine(byId['C-1']!)).toBe(`  [crit] C-1 (${shas[2]!.slice(0, 8)}, fix_by=alice, @ ?): C-1: something breaks`);
    expect(formatBugLine(byId['M-1']!)).toEndWith(': M-1: something breaks — fixed');
    expect(formatBugLine(byId['W-1']!)).toEndWith(' — wontfix (still open until re-triaged)');
    const anonymous = build([{ message: report('A-1', { severity: 'low', title: '', description: 'd'.repeat(70) }), by: null }]).byId['A-1']!;
    expect(formatBugLine({ ...anonymous, title: '' })).toBe(`  [low] A-1 (${shaOf(0).slice(0, 8)}, fix_by=?, @ ?): ${'d'.repeat(60)}`);
  });

  test('new blocking reports in a tick: crit, high, med and weak-fix or shallow-fix flags count, advisory ones do not', () => {
    const c = (i: number, m: string) => commit(shaOf(i), m);
    expect(
      countNewBlockingReports([
        c(0, report('A', { severity: 'crit' })),
        c(1, report('B', { severity: 'HIGH' })),
        c(2, report('C', { severity: 'med' })),
        c(3, report('D', { severity: 'low' })),
        c(4, report('E', { severity: 'info' })),
        c(5, 'flag\n\nPeer: a\nBug-Report: Weak-Fix:B\nBug-Report: shallow-fix:C'),
        c(6, 'no block\n\nPeer: a\nBug-Report: F'),
        c(7, 'flag\n\nPeer: a\nBug-Report: B:weak-fix:'),
      ]),
    ).toBe(5);
    expect(countNewBlockingReports([])).toBe(0);
  });
});
