/** Who vouches for what: approvals in review commits and the "another peer" rule for escape valves. */
import { describe, expect, test } from 'bun:test';
import { approvalHint, approvalsIn, approvedTargets, attestedByAnother, makeAttestationView, OPERATOR } from '../../../src/protocol/approvals.ts';
import { attributeFindings, judgeMarkerFindings, removalJustifications } from '../../../src/protocol/escape-valves.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { Commit } from '../../../src/git/commits.ts';

const c = (sha: string, message: string): Commit => ({ sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });
const S1 = '1'.repeat(40);
const S2 = '2'.repeat(40);
const R1 = 'a'.repeat(40);

describe('approvals', () => {
  test('a passing review naming commits approves each of them; a failing one, or one without "## Review", approves nothing', () => {
    expect(approvedTargets(c(R1, `ok\n\n## Review\n{"pass": true, "notes": "fine"}\n\nPeer-Review-Of: ${S1.slice(0, 12)}\nPeer-Review-Of: ${S2}\nPeer: bob`))).toEqual([S1.slice(0, 12), S2]);
    expect(approvedTargets(c(R1, `no\n\n## Review\n{"pass": false}\n\nPeer-Review-Of: ${S1}\nPeer: bob`))).toEqual([]);
    expect(approvedTargets(c(R1, `{"pass": true}\n\nPeer-Review-Of: ${S1}\nPeer: bob`))).toEqual([]);
    expect(approvedTargets(c(R1, `ok\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: docs-clear\nPeer: bob`))).toEqual([]);
  });

  test('an approval counts for the attested reviewer, never its trailer, and never for the commit\'s own author', () => {
    const who: Record<string, string> = { [S1]: 'alice', [R1]: 'alice' };
    const view = makeAttestationView((sha) => who[sha], approvalsIn([c(S1, 'x'), c(R1, `ok\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: ${S1}\nPeer: bob`)], (sha) => who[sha]));
    expect([...view.approversOf(S1)]).toEqual([]); // alice "approving" her own commit, signed bob
    const view2 = makeAttestationView((sha) => ({ ...who, [R1]: 'bob' })[sha], approvalsIn([c(S1, 'x'), c(R1, `ok\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: ${S1.slice(0, 8)}\nPeer: bob`)], () => 'bob'));
    expect([...view2.approversOf(S1)]).toEqual(['bob']);
  });

  test('attestedByAnother: another writer or another approver counts; the owner, unattested commits and the loop do not; the operator always does', () => {
    const view = makeAttestationView((sha) => ({ [S1]: 'alice', [S2]: 'bob', [R1]: OPERATOR }) [sha], [{ target: S1.slice(0, 7), approver: 'bob', reviewSha: 'x' }]);
    expect(attestedByAnother(view, S2, 'alice')).toEqual({ counts: true, by: 'bob' });
    expect(attestedByAnother(view, S1, 'alice')).toEqual({ counts: true, by: 'bob' }); // approved by bob
    expect(attestedByAnother(view, S2, 'bob')).toEqual({ counts: false, writer: 'bob' });
    expect(attestedByAnother(view, '9'.repeat(40), 'alice')).toEqual({ counts: false, writer: undefined });
    expect(attestedByAnother(view, R1, 'alice')).toEqual({ counts: true, by: OPERATOR });
    const loop = makeAttestationView(() => 'peers-substrate', []);
    expect(attestedByAnother(loop, S1, 'alice').counts).toBe(false);
  });
});

describe('test removals and skips need another peer', () => {
  const deleted = { file: 'test/a.test.mjs', line: 0, kind: 'deleted-test-file' as const, text: 'test file test/a.test.mjs deleted' };
  const skip = { file: 'test/b.test.mjs', line: 3, kind: 'skip' as const, text: "test.skip('b', () => { // skip-reason: needs a network we do not have here" };

  test('findings are attributed to the newest commit that produced them; unmatched ones to nobody', () => {
    const f = attributeFindings([deleted, skip], [{ sha: S1, findings: [deleted] }, { sha: S2, findings: [] }]);
    expect(f.map((x) => x.sha)).toEqual([S1, undefined]);
  });

  test("the author's own justification or reason does not excuse; another peer's does; unattested findings never are", () => {
    const who: Record<string, string> = { [S1]: 'alice', [S2]: 'alice', [R1]: 'bob' };
    const view = makeAttestationView((sha) => who[sha], []);
    const own = removalJustifications([c(S2, 'x\n\nJUSTIFIED-TEST-REMOVAL: test/a.test.mjs the parser it covered is gone for good')]);
    let v = judgeMarkerFindings([{ ...deleted, sha: S1 }, { ...skip, sha: S1 }, { ...skip, sha: undefined }], own, view);
    expect(v.map((x) => [x.excused, x.why])).toEqual([
      [false, 'its JUSTIFIED-TEST-REMOVAL was written by alice for its own change; another peer must write or approve it'],
      [false, `its reason was written by alice for its own change; another peer must approve commit ${S1.slice(0, 12)} (Peer-Review-Of)`],
      [false, 'no attested commit introduced it, so nothing can excuse it'],
    ]);
    const bobs = removalJustifications([c(R1, 'y\n\nJUSTIFIED-TEST-REMOVAL: test/a.test.mjs the parser it covered is gone for good')]);
    const approved = makeAttestationView((sha) => who[sha], [{ target: S1, approver: 'bob', reviewSha: R1 }]);
    v = judgeMarkerFindings([{ ...deleted, sha: S1 }, { ...skip, sha: S1 }], bobs, approved);
    expect(v.map((x) => [x.excused, x.why])).toEqual([
      [true, 'JUSTIFIED-TEST-REMOVAL by bob'],
      [true, 'reason approved by bob'],
    ]);
  });
});

describe('approvals: who cannot approve, and what the hint says', () => {
  const SHA = '3f9a1c0b7d2e4a6b8c0d1e2f3a4b5c6d7e8f9a0b';
  const review = (target: string) => c(R1, `ok\n\n## Review\n{"pass": true}\n\nPeer-Review-Of: ${target}\nPeer: bob`);

  test('a review by the operator, by the loop itself, or by an unattested commit approves nothing', () => {
    for (const writer of ['operator', 'peers-substrate', undefined]) expect(approvalsIn([c(SHA, 'x'), review(SHA)], () => writer)).toEqual([]);
    expect(approvalsIn([c(SHA, 'x'), review(SHA)], () => 'bob')).toEqual([{ target: SHA, approver: 'bob', reviewSha: R1 }]);
  });

  test('an approval names only commits made before it: a later commit whose id shares the prefix is not approved', () => {
    // bob approves alice's commit by a 7-digit prefix; alice's next commit, searched for an id with
    // the same 7 digits (28 bits: minutes in a turn), carries a gate-surface change.
    const read = `${SHA.slice(0, 7)}${'0'.repeat(33)}`;
    const later = `${SHA.slice(0, 7)}${'f'.repeat(33)}`;
    const who: Record<string, string> = { [read]: 'alice', [R1]: 'bob', [later]: 'alice' };
    const view = makeAttestationView((sha) => who[sha], approvalsIn([c(read, 'x'), review(SHA.slice(0, 7)), c(later, 'y')], (sha) => who[sha]));
    expect([...view.approversOf(read)]).toEqual(['bob']);
    expect([...view.approversOf(later)]).toEqual([]);
    expect(attestedByAnother(view, later, 'alice').counts).toBe(false);
    // Nor a commit the approval names before it exists at all.
    expect(approvalsIn([review(SHA), c(SHA, 'x')], () => 'bob')).toEqual([]);
  });

  test('only the verdict after the "## Review" heading counts, not a passing block above it', () => {
    expect(approvedTargets(c(R1, `{"pass": true}\n\n## Review\n{"pass": false}\n\nPeer-Review-Of: ${SHA}\nPeer: bob`))).toEqual([]);
    // Even a passing block right before a long heading line does not count.
    expect(approvedTargets(c(R1, `ok\n\n{"pass":true}\n## Review            \n{"pass": false}\n\nPeer-Review-Of: ${SHA}\nPeer: bob`))).toEqual([]);
  });

  test('an approval names a commit by a prefix of its hash, never by a suffix', () => {
    const view = makeAttestationView(() => 'alice', [{ target: SHA.slice(0, 10), approver: 'bob', reviewSha: R1 }]);
    expect([...view.approversOf(SHA)]).toEqual(['bob']);
    expect([...view.approversOf(SHA.toUpperCase())]).toEqual(['bob']);
    const bySuffix = makeAttestationView(() => 'alice', [{ target: SHA.slice(-10), approver: 'bob', reviewSha: R1 }]);
    expect([...bySuffix.approversOf(SHA)]).toEqual([]);
  });

  test("an unattested commit approved only by the owner does not count against the owner", () => {
    const view = makeAttestationView(() => undefined, [{ target: SHA, approver: 'alice', reviewSha: R1 }]);
    expect(attestedByAnother(view, SHA, 'alice')).toEqual({ counts: false, writer: undefined });
    expect(attestedByAnother(view, SHA, 'carol')).toEqual({ counts: true, by: 'alice' });
  });

  test('the hint tells the one way to fix it, with a 12-character hash', () => {
    expect(approvalHint(SHA)).toBe('another peer must approve it: a review commit with "## Review" {"pass": true, ...} and the trailer "Peer-Review-Of: 3f9a1c0b7d2e"');
  });
});
