/**
 * Escape valves for skipped and removed tests: what counts as a reason, which valves a peer may
 * not grant itself, and which valves a turn wrote for its own change (held until another peer
 * approves). Pure: commits and findings are built in memory.
 */
import { describe, expect, test } from 'bun:test';
import { makeAttestationView } from '../../../src/protocol/approvals.ts';
import { judgeMarkerFindings, removalJustifications, selfVouchedValves, skipReason, type AttributedFinding } from '../../../src/protocol/escape-valves.ts';
import type { MarkerFinding } from '../../../src/protocol/test-markers.ts';
import { parseTrailers } from '../../../src/git/trailers.ts';
import type { Commit } from '../../../src/git/commits.ts';

const c = (sha: string, message: string): Commit => ({ sha, message, subject: message.split('\n', 1)[0]!, trailers: parseTrailers(message), authorName: '', authorEmail: '', committerName: '', committerEmail: '' });
const ALICE1 = '1'.repeat(40);
const ALICE2 = '2'.repeat(40);
const BOB = 'b'.repeat(40);
const UNKNOWN = 'e'.repeat(40);
const who: Record<string, string> = { [ALICE1]: 'alice', [ALICE2]: 'alice', [BOB]: 'bob' };
const REASON20 = 'x'.repeat(20);

describe('skip reasons: 20 characters or more, in any of the four spellings', () => {
  test('each spelling of a reason is read, and a reason of exactly 20 characters is enough', () => {
    expect(skipReason(`@pytest.mark.skip(reason="${REASON20}")`)).toBe(REASON20);
    expect(skipReason(`@pytest.mark.skip(reason = '${REASON20}')`)).toBe(REASON20);
    expect(skipReason(`t.Skip("${REASON20}")`)).toBe(REASON20);
    expect(skipReason(`t.Skipf(\`${REASON20}\`)`)).toBe(REASON20);
    expect(skipReason(`#[ignore = "${REASON20}"]`)).toBe(REASON20);
    expect(skipReason(`test.skip('a', () => { // skip-reason: ${REASON20}`)).toBe(REASON20);
    expect(skipReason(`@pytest.mark.skip  # skip-reason:   ${REASON20}  `)).toBe(REASON20);
  });

  test('a reason of 19 characters, an empty one or none at all is no reason', () => {
    const short = 'y'.repeat(19);
    expect(skipReason(`@pytest.mark.skip(reason="${short}")`)).toBeUndefined();
    expect(skipReason(`t.Skip("${short}")`)).toBeUndefined();
    expect(skipReason(`// skip-reason: ${short}`)).toBeUndefined();
    expect(skipReason('@pytest.mark.skip(reason="")')).toBeUndefined();
    expect(skipReason("test.skip('flaky', () => {")).toBeUndefined();
  });

  test('JUSTIFIED-TEST-REMOVAL needs a path and a reason of 20+ characters, on a line of its own', () => {
    const j = removalJustifications([c(BOB, `drop\n\n  JUSTIFIED-TEST-REMOVAL: test/a.test.ts ${REASON20}\nJUSTIFIED-TEST-REMOVAL: test/b.test.ts too short\nsee JUSTIFIED-TEST-REMOVAL: test/c.test.ts ${REASON20}`)]);
    expect(j).toEqual([{ sha: BOB, line: `JUSTIFIED-TEST-REMOVAL: test/a.test.ts ${REASON20}` }]);
  });
});

describe('judging skips and removals: a peer may not excuse itself', () => {
  const base = { line: 4, text: '' };
  const finding = (kind: MarkerFinding['kind'], file: string, text: string, sha: string | undefined): AttributedFinding => ({ ...base, kind, file, text, sha });
  const bobApproves = (target: string) => makeAttestationView((sha) => who[sha], [{ target, approver: 'bob', reviewSha: BOB }]);

  test('a .only is never excused, not even by another peer\'s approval and justification', () => {
    const only = finding('only', 'test/a.test.ts', `test.only('a', () => { // skip-reason: ${REASON20}`, ALICE1);
    const byBob = removalJustifications([c(BOB, `x\n\nJUSTIFIED-TEST-REMOVAL: test/a.test.ts ${REASON20}`)]);
    expect(judgeMarkerFindings([only], byBob, bobApproves(ALICE1)).map((v) => [v.excused, v.why])).toEqual([[false, '.only disables every other test; remove it']]);
  });

  test('a skip with a good reason in an approved commit is excused; an xfail too', () => {
    const view = bobApproves(ALICE1);
    const v = judgeMarkerFindings([finding('skip', 'test/a.py', `@pytest.mark.skip(reason="${REASON20}")`, ALICE1), finding('xfail', 'test/b.py', `@pytest.mark.xfail(reason="${REASON20}")`, ALICE1)], [], view);
    expect(v.map((x) => [x.excused, x.why])).toEqual([
      [true, 'reason approved by bob'],
      [true, 'reason approved by bob'],
    ]);
  });

  test('a skip without a 20-character reason is not excused, even in a commit another peer approved', () => {
    const v = judgeMarkerFindings([finding('skip', 'test/a.py', '@pytest.mark.skip(reason="flaky")', ALICE1)], [], bobApproves(ALICE1));
    expect(v.map((x) => [x.excused, x.why])).toEqual([[false, 'give a reason of 20+ characters on the marker line']]);
  });

  test('a finding from an unattested commit is never excused, whoever approved or justified it', () => {
    const view = makeAttestationView((sha) => who[sha], [{ target: UNKNOWN, approver: 'bob', reviewSha: BOB }]);
    const byBob = removalJustifications([c(BOB, `x\n\nJUSTIFIED-TEST-REMOVAL: test/a.test.ts ${REASON20}`)]);
    const v = judgeMarkerFindings([finding('deleted-test-file', 'test/a.test.ts', 'test file test/a.test.ts deleted', UNKNOWN), finding('skip', 'test/b.py', `@pytest.mark.skip(reason="${REASON20}")`, UNKNOWN)], byBob, view);
    expect(v.map((x) => [x.excused, x.why])).toEqual([
      [false, 'no attested commit introduced it, so nothing can excuse it'],
      [false, 'no attested commit introduced it, so nothing can excuse it'],
    ]);
  });

  test('a removal nobody justified says who must state JUSTIFIED-TEST-REMOVAL, and for which file', () => {
    const v = judgeMarkerFindings([finding('deleted-test', 'test/a.test.ts', "-test('a', () => {", ALICE1)], [], makeAttestationView((sha) => who[sha], []));
    expect(v.map((x) => [x.excused, x.why])).toEqual([[false, 'a peer other than alice must state "JUSTIFIED-TEST-REMOVAL: test/a.test.ts <reason>" or approve a commit that does']]);
  });

  test('another peer\'s justification excuses only the file it names', () => {
    const byBob = removalJustifications([c(BOB, `x\n\nJUSTIFIED-TEST-REMOVAL: test/a.test.ts ${REASON20}`)]);
    const view = makeAttestationView((sha) => who[sha], []);
    const v = judgeMarkerFindings([finding('disabled-test', 'test/a.test.ts', "// test('a'", ALICE1), finding('disabled-test', 'test/b.test.ts', "// test('b'", ALICE1)], byBob, view);
    expect(v.map((x) => x.excused)).toEqual([true, false]);
  });
});

describe('valves a turn wrote for its own change are reported, to be held until another peer approves', () => {
  const marker = (kind: MarkerFinding['kind'], file: string, line: number, text: string): MarkerFinding => ({ kind, file, line, text });

  test('a skip or xfail reason the turn added is charged to its newest commit; a skip without a reason and a .only are not valves', () => {
    const out = selfVouchedValves([c(ALICE1, 'one'), c(ALICE2, 'two')], [
      marker('skip', 'test/a.py', 3, `@pytest.mark.skip(reason="${REASON20}")`),
      marker('xfail', 'test/b.py', 7, `@pytest.mark.xfail(reason="${REASON20}")`),
      marker('skip', 'test/c.py', 9, '@pytest.mark.skip(reason="flaky")'),
      marker('only', 'test/d.test.ts', 1, `test.only('d', () => { // skip-reason: ${REASON20}`),
    ]);
    expect(out).toEqual([
      { sha: ALICE2, what: 'skip reason on test/a.py:3' },
      { sha: ALICE2, what: 'skip reason on test/b.py:7' },
    ]);
  });

  test('with no commits the reason is still reported, against no commit', () => {
    expect(selfVouchedValves([], [marker('skip', 'test/a.py', 3, `@pytest.mark.skip(reason="${REASON20}")`)])).toEqual([{ sha: '', what: 'skip reason on test/a.py:3' }]);
  });

  test('a JUSTIFIED-TEST-REMOVAL for a test the turn itself deleted, disabled or removed is reported with its commit', () => {
    const long = `JUSTIFIED-TEST-REMOVAL: test/a.test.ts ${'because '.repeat(30)}`.trim();
    const commits = [
      c(ALICE1, `rm\n\n${long}`),
      c(ALICE2, `more\n\nJUSTIFIED-TEST-REMOVAL: test/b.test.ts ${REASON20}\nJUSTIFIED-TEST-REMOVAL: test/c.test.ts ${REASON20}\nJUSTIFIED-TEST-REMOVAL: test/untouched.test.ts ${REASON20}`),
    ];
    const out = selfVouchedValves(commits, [
      marker('deleted-test-file', 'test/a.test.ts', 0, 'test file test/a.test.ts deleted'),
      marker('deleted-test', 'test/b.test.ts', 5, "-test('b'"),
      marker('disabled-test', 'test/c.test.ts', 8, "// test('c'"),
      marker('skip', 'test/untouched.test.ts', 2, "test.skip('u', () => {"),
    ]);
    expect(out).toEqual([
      { sha: ALICE1, what: `"${long.slice(0, 160)}"` },
      { sha: ALICE2, what: `"JUSTIFIED-TEST-REMOVAL: test/b.test.ts ${REASON20}"` },
      { sha: ALICE2, what: `"JUSTIFIED-TEST-REMOVAL: test/c.test.ts ${REASON20}"` },
    ]);
    expect(long.length).toBeGreaterThan(161);
  });

  test('a JUSTIFIED-TEST-REMOVAL naming a test the turn did not remove is not a self-vouch; JUSTIFIED-TEST-ONLY in its own commit is', () => {
    const out = selfVouchedValves([c(ALICE1, `x\n\nJUSTIFIED-TEST-REMOVAL: test/other.test.ts ${REASON20}`), c(ALICE2, `y\n\nJUSTIFIED-TEST-ONLY: test/a.test.ts bisecting a flaky suite`)], [
      marker('deleted-test-file', 'test/a.test.ts', 0, 'test file test/a.test.ts deleted'),
      marker('deleted-test', 'test/b.test.ts', 5, "-test('b'"),
    ]);
    expect(out).toEqual([{ sha: ALICE2, what: 'JUSTIFIED-TEST-ONLY in its own commit' }]);
  });
});
