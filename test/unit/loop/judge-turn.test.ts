/** judgeTurn: the whole turn verdict as a pure function of what the shell observed. */
import { describe, expect, test } from 'bun:test';
import { judgeTurn, type TurnFacts } from '../../../src/loop/judge-turn.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { Commit } from '../../../src/git/commits.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

function commit(sha: string, message: string): Commit {
  return { sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' };
}
const handoff = (sha: string, subject = 'work', extra = '') => commit(sha, `${subject}\n\n## Self-Review\nchecked\n\n${extra}Self-Review: pass\nPeer-Status: handoff\nPeer: alice`);
const testOnly = { testLines: 2, srcLines: 0, cosmeticLines: 1, testFiles: ['test/a.test.mjs'], srcFiles: [], cosmeticFiles: ['src/a.mjs'] };

function facts(over: Partial<TurnFacts> = {}): TurnFacts {
  return {
    peer: 'alice',
    classification: 'success',
    headBefore: A,
    headAfter: B,
    rewritten: false,
    newCommits: [handoff(B)],
    dirtyPaths: [],
    diff: { testLines: 0, srcLines: 3, cosmeticLines: 0, testFiles: [], srcFiles: ['src/a.mjs'], cosmeticFiles: [] },
    surface: [],
    markers: [],
    gatesBefore: { 'tests-pass': 'fail' },
    gatesAfter: null,
    bugs: {},
    planted: null,
    anchorMoved: null,
    antiCheat: { consecutiveReverts: 0 },
    reviews: { goals: [{ id: 'code-review', reviewer: 'other', consensus_needed: 1 }], statuses: {}, peerOrder: ['alice', 'bob'], attestedPeer: () => 'alice', authorsUnderReview: () => new Set() },
    ...over,
  };
}

describe('judgeTurn', () => {
  test('a clean handoff: success, no action, no finding', () => {
    const v = judgeTurn(facts());
    expect(v).toMatchObject({ success: true, credit: 1, reason: null, handoffSha: B, action: { kind: 'none' }, findings: [], blocked: null });
  });

  test('a turn that leaves uncommitted changes fails, its leftovers are to be discarded, and every peer hears of it; a clean tree discards nothing', () => {
    const v = judgeTurn(facts({ dirtyPaths: ['src/calc.mjs'] }));
    expect(v.success).toBe(false);
    expect(v.discardUncommitted).toBe(true);
    expect(v.findings).toEqual([expect.objectContaining({ kind: 'uncommitted-left', detail: 'alice left uncommitted changes in the working tree: src/calc.mjs' })]);
    expect(v.warningsForOthers.join('\n')).toContain('uncommitted changes left in the working tree');
    expect(judgeTurn(facts()).discardUncommitted).toBe(false);
  });

  test('a history rewrite: the turn fails, HEAD is to be restored to head_before, and every peer hears of it', () => {
    const v = judgeTurn(facts({ rewritten: true, newCommits: [] }));
    expect(v.success).toBe(false);
    expect(v.action).toEqual({ kind: 'restore', to: A });
    expect(v.findings.map((f) => f.kind)).toEqual(['history-rewrite']);
    expect(v.warningsForOthers.join('\n')).toContain('history rewritten');
    expect(v.newBlockingBugs).toBe(0);
  });

  test('a commit with a terminal control character in its message, a name or an email: the turn fails, HEAD is to be restored, and the peer is told which and where', () => {
    const who = { authorName: 'alice', authorEmail: 'alice@x', committerName: 'alice', committerEmail: 'alice@x' };
    const clean = { ...handoff(C), ...who };
    const cases: Array<[Partial<Commit>, string]> = [
      [{ message: `${handoff(B).message}\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J` }, 'a control character U+001B in its message'],
      [{ authorName: 'alice\x1b[2J' }, 'U+001B in its author name'],
      [{ authorEmail: 'alice@x\u009b' }, 'U+009B in its author email'],
      [{ committerName: 'al\u202eice' }, 'U+202E in its committer name'],
      [{ committerEmail: 'a\x07@x' }, 'U+0007 in its committer email'],
      // A raw byte that is not UTF-8 (0x9B: CSI to a terminal not in UTF-8) reads as U+FFFD here.
      [{ message: `${handoff(B).message}fix\ufffd2J` }, 'bytes that are not UTF-8 (a terminal not in UTF-8 reads some as control characters) in its message'],
    ];
    for (const [bad, where] of cases) {
      const v = judgeTurn(facts({ newCommits: [clean, { ...handoff(B), ...who, ...bad }] }));
      expect(v.success).toBe(false);
      expect(v.credit).toBe(0);
      expect(v.action).toEqual({ kind: 'restore', to: A });
      expect(v.reason).toBe(`commit ${B.slice(0, 10)} has ${/^(a |bytes )/.test(where) ? '' : 'a control character '}${where}; commit again without it`);
      expect(v.findings.map((f) => f.kind)).toEqual(['terminal-control-commit']);
      expect(v.warningsForPeer.join('\n')).toContain(`${where}; commit again without it`);
      expect(v.warningsForPeer.join('\n')).not.toMatch(/[\x1b\x07\u009b\u202e]/);
    }
    // Line feeds and tabs are text; a clean turn is left alone.
    expect(judgeTurn(facts({ newCommits: [{ ...handoff(B), ...who, message: `${handoff(B).message}\tindented\n` }] })).action).toEqual({ kind: 'none' });
  });

  test("an honest CRLF message (git commit-tree, a Windows tool's commit cherry-picked) is text; a carriage return inside a line is not, and the peer hears how to drop it", () => {
    const who = { authorName: 'alice', authorEmail: 'alice@x', committerName: 'alice', committerEmail: 'alice@x' };
    const crlf = `${handoff(B).message.replaceAll('\n', '\r\n')}\r\n`;
    expect(judgeTurn(facts({ newCommits: [{ ...handoff(B), ...who, message: crlf }] })).action).toEqual({ kind: 'none' });
    // `git revert` of such a commit quotes its subject with the CR inside the line: it overwrites what git log shows.
    const v = judgeTurn(facts({ newCommits: [{ ...handoff(B), ...who, message: `Revert "fix\r"\n\n${handoff(B).message}` }] }));
    expect(v.action).toEqual({ kind: 'restore', to: A });
    expect(v.reason).toContain('a control character U+000D (a carriage return not ending a line: ');
    expect(v.reason).toContain(') in its message; commit again without it');
    expect(v.reason).toContain('git commit --amend');
    expect(judgeTurn(facts({ newCommits: [{ ...handoff(B), ...who, message: `${handoff(B).message}safe\rhidden\r\n` }] })).action).toEqual({ kind: 'restore', to: A });
  });

  test('a turn that commits a file name holding a C1 control or a bidi override is restored; one whose names are clean is not', () => {
    const v = judgeTurn(facts({ pathControl: { sha: B, path: 'src/a\u202esj.tset', char: 'U+202E' } }));
    expect(v).toMatchObject({ success: false, credit: 0, action: { kind: 'restore', to: A } });
    expect(v.reason).toBe(`commit ${B.slice(0, 10)} adds a file whose name has a control character U+202E ("src/a<U+202E>sj.tset"); git log --stat prints it as it is where core.quotePath is off: rename it (git mv) and commit again`);
    expect(v.findings.map((f) => f.kind)).toEqual(['terminal-control-commit']);
    expect(v.warningsForPeer.join('\n')).not.toMatch(/[\u009b\u202e]/);
    const unread = judgeTurn(facts({ pathControl: { error: 'git log failed' } }));
    expect(unread.action).toEqual({ kind: 'restore', to: A });
    expect(unread.reason).toContain('git log failed');
    expect(judgeTurn(facts({ pathControl: null })).action).toEqual({ kind: 'none' });
    const notUtf8 = judgeTurn(facts({ pathControl: { sha: B, path: 'a\ufffd2J.txt', char: 'U+FFFD' } }));
    expect(notUtf8.action).toEqual({ kind: 'restore', to: A });
    expect(notUtf8.reason).toContain('adds a file whose name has bytes that are not UTF-8 (a terminal not in UTF-8 reads some as control characters)');
  });

  test('a turn whose .mailmap maps a name to a control character, or cannot be read, is restored too; one with a clean .mailmap is not', () => {
    const v = judgeTurn(facts({ mailmapControl: 'U+001B' }));
    expect(v).toMatchObject({ success: false, credit: 0, action: { kind: 'restore', to: A } });
    expect(v.reason).toBe(`the .mailmap at ${B.slice(0, 10)} has a control character U+001B (git log shows authors by the names it maps them to); commit it again without it`);
    expect(v.findings.map((f) => f.kind)).toEqual(['terminal-control-commit']);
    expect(judgeTurn(facts({ mailmapControl: { error: 'too large' } })).action).toEqual({ kind: 'restore', to: A });
    expect(judgeTurn(facts({ mailmapControl: null })).action).toEqual({ kind: 'none' });
  });

  test("a restored turn's reviews and bug reports do not count, and a test-only turn that is restored is not also reverted", () => {
    const review = commit(C, 'Review\x1b[2J\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: code-review\nBug-Report: weak-fix: BUG-1\nPeer: alice');
    const v = judgeTurn(facts({ diff: testOnly, gatesAfter: { 'tests-pass': 'pass' }, newCommits: [review, handoff(B)] }));
    expect(v.action).toEqual({ kind: 'restore', to: A });
    expect(v.soft.ingested).toEqual([]);
    expect(v.newBlockingBugs).toBe(0);
    expect(v.warnings).toContain('1 soft review(s) by alice not counted: they were part of the undone turn');
    // The same commit without the control character: its report counts.
    expect(judgeTurn(facts({ newCommits: [{ ...review, message: review.message.replace('\x1b[2J', '') }, handoff(B)] })).newBlockingBugs).toBe(1);
  });

  test('a test-only turn that turned a red gate green: revert at the first offence; its reviews do not count', () => {
    const review = commit(C, 'Review\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: code-review\nPeer: alice');
    const v = judgeTurn(facts({ diff: testOnly, gatesAfter: { 'tests-pass': 'pass' }, newCommits: [review, handoff(B)], reviews: { ...facts().reviews, attestedPeer: () => 'alice' } }));
    expect(v.success).toBe(false);
    expect(v.credit).toBe(0);
    expect(v.action).toMatchObject({ kind: 'revert', since: A });
    expect(v.findings.map((f) => f.kind)).toContain('test-only-red-to-green');
    expect(v.soft.ingested).toEqual([]);
    expect(v.warnings).toContain('1 soft review(s) by alice not counted: they were part of the reverted turn');
    // Everyone is told, not only the offender.
    expect(v.warningsForOthers.some((w) => w.includes("alice's handoff was reverted"))).toBe(true);
    expect(v.warningsForPeer.some((w) => w.includes("alice's handoff was reverted"))).toBe(true);
  });

  test('the same test-only turn that flipped nothing is only warned, and gates unknown before the turn flip nothing', () => {
    expect(judgeTurn(facts({ diff: testOnly, gatesAfter: { 'tests-pass': 'fail' } })).antiCheat.action).toBe('warn');
    expect(judgeTurn(facts({ diff: testOnly, gatesBefore: null, gatesAfter: { 'tests-pass': 'pass' } })).antiCheat.action).toBe('warn');
  });

  test('planted hooks fail the turn with a finding; the shell has already disabled them', () => {
    const v = judgeTurn(facts({ planted: { hooks: ['commit-msg'], config: ['core.hookspath=.githooks'], failed: [] } }));
    expect(v.success).toBe(false);
    expect(v.credit).toBe(0);
    expect(v.reason).toContain('planted hook commit-msg, config core.hookspath=.githooks');
    expect(v.findings[0]).toMatchObject({ kind: 'planted-git-hook', action: 'disabled for every peer process and removed; the turn failed' });
  });

  test('a flood of planted names is a bounded finding: the first 20, each cut and without control characters, then how many more', () => {
    const hooks = Array.from({ length: 6000 }, (_, i) => `${'h'.repeat(200)}${i}`);
    const v = judgeTurn(facts({ planted: { hooks: [...hooks, '\u001b]0;pwned\u0007'], config: [], failed: hooks.map((h) => `hook ${h}`) } }));
    expect(v.success).toBe(false);
    expect(v.reason!.length).toBeLessThan(3000);
    expect(v.reason).toContain(', … (+5981)');
    expect(v.findings[0]!.detail.length).toBeLessThan(3000);
    expect(v.findings[0]!.action.length).toBeLessThan(3000);
    expect(v.findings[0]!.action).toContain('… (+5980)');
    expect(judgeTurn(facts({ planted: { hooks: ['\u001b]0;pwned\u0007'], config: [], failed: [] } })).reason).toContain('hook ?]0;pwned?');
  });

  test('gate-surface changes are flagged as held for approval; a reverted turn reports them undone', () => {
    const surface = [{ sha: B, changes: [{ path: 'package.json', change: 'modified' as const, kind: 'package-manager' as const, what: 'package manager scripts or config', movedOutOfReach: false }] }];
    expect(judgeTurn(facts({ surface })).findings).toEqual([{ kind: 'gate-surface-change', detail: 'alice in bbbbbbbb: package.json modified (package manager scripts or config)', action: 'convergence held until a peer other than alice approves bbbbbbbb' }]);
    const reverted = judgeTurn(facts({ surface, diff: testOnly, gatesAfter: { 'tests-pass': 'pass' } }));
    expect(reverted.findings.find((f) => f.kind === 'gate-surface-change')!.action).toBe('undone with the turn');
  });

  test('escape valves the author wrote for itself are reported as not honoured', () => {
    const defer = commit(C, 'Defer B-1\n\n{"defers": "B-1", "reason": "later"}\n\nPeer: alice\nBug-Defer: B-1');
    const waive = commit(B, 'Waive\n\n{"id": "B-2", "reason": "obvious"}\n\n## Self-Review\nx\n\nBug-Reproduce-Waive: B-2\nSelf-Review: pass\nPeer-Status: handoff\nPeer: alice');
    const v = judgeTurn(facts({ newCommits: [defer, handoff(B, 'work', 'JUSTIFIED-TEST-REMOVAL: test/a.test.mjs it tested the old parser only\n')], markers: [{ file: 'test/a.test.mjs', line: 0, kind: 'deleted-test-file', text: 'test file test/a.test.mjs deleted' }], bugs: { 'B-1': { fixBy: 'alice' } } }));
    const escapes = v.findings.filter((f) => f.kind === 'self-attested-escape').map((f) => f.detail);
    expect(escapes).toEqual([expect.stringContaining('"JUSTIFIED-TEST-REMOVAL: test/a.test.mjs it tested the old parser only"'), expect.stringContaining('deferral of B-1, which alice must fix')]);
    expect(v.findings.some((f) => f.kind === 'test-removed')).toBe(true);
    // A deferral of a bug someone else must fix is not self-vouching.
    expect(judgeTurn(facts({ newCommits: [defer, handoff(B)], bugs: { 'B-1': { fixBy: 'bob' } } })).findings).toEqual([]);
    const w = judgeTurn(facts({ newCommits: [handoff(C), waive], bugs: { 'B-2': { fixedBy: 'alice' } } }));
    expect(w.findings.map((f) => f.detail)).toEqual([expect.stringContaining('Bug-Reproduce-Waive for B-2, which alice fixed')]);
  });

  test("reviewer: other — a pass vote by a peer that wrote changes under review is not counted", () => {
    const review = commit(C, 'Review\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: code-review\nPeer: alice');
    const v = judgeTurn(facts({ newCommits: [review, handoff(B)], reviews: { ...facts().reviews, authorsUnderReview: () => new Set(['alice']) } }));
    expect(v.success).toBe(true);
    expect(v.soft.ingested).toEqual([]);
    expect(v.findings).toEqual([{ kind: 'self-vote', detail: 'alice voted pass on code-review (cccccccc) after writing changes under review', action: 'vote not counted: a pass needs a peer that wrote none of the changes under review' }]);
  });

  test('a moved peers-baseline tag is reported and ignored', () => {
    const v = judgeTurn(facts({ anchorMoved: { from: A, to: B } }));
    expect(v.success).toBe(true);
    expect(v.findings).toEqual([{ kind: 'anchor-moved', detail: 'alice moved the peers-baseline tag from aaaaaaaa to bbbbbbbb', action: 'ignored: the run compares against the baseline recorded in its state' }]);
  });

  test('a blocked declaration is carried in the verdict', () => {
    const blocked = commit(B, 'Blocked\n\n## Blocked\nthe test wants add(2, 2) to be 5; SPEC.md says sum\n\nPeer-Status: blocked\nPeer: alice');
    expect(judgeTurn(facts({ newCommits: [blocked] })).blocked).toEqual({ reason: 'the test wants add(2, 2) to be 5; SPEC.md says sum', sha: B });
  });
});
