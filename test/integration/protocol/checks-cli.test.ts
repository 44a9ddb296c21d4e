/**
 * `peers check <id>` and `peers bugs` as a user runs them: the real CLI in a real repository,
 * judged by exit code and output.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bugReport, bugResolve, makeRepo, sh, type Repo } from '../../unit/protocol/git-fixture.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const BUN = join(ROOT, 'node_modules/.bin/bun');

function peers(args: string[], cwd: string) {
  const r = spawnSync(BUN, [join(ROOT, 'src/main.ts'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let repo: Repo;
afterEach(() => repo?.cleanup());

const HANDOFF = 'Add parser\n\n## Self-Review\nRe-read the diff; empty input handled.\n\nPeer: alice\nPeer-Status: handoff\nSelf-Review: pass';

describe('peers check', () => {
  test('self-review-on-handoff passes on a proper handoff and fails, naming the commit, without the section', () => {
    repo = makeRepo();
    repo.commit(HANDOFF, { 'a.txt': 'a' });
    let r = peers(['check', 'self-review-on-handoff'], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('carries a self-review');
    repo.commit('Quick fix\n\nPeer: bob\nPeer-Status: handoff\nSelf-Review: pass');
    r = peers(['check', 'self-review-on-handoff', repo.dir], '/');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"Quick fix": the body has no "## Self-Review" section');
  });

  test('bug-hunt-clean fails while a med bug is open and passes once it is fixed; bug-tdd wants the reproduce first', () => {
    repo = makeRepo();
    repo.commit('init', { 'src/x.py': 'x = 1\n' });
    repo.commit(bugReport('BUG-001', 'med'));
    let r = peers(['check', 'bug-hunt-clean'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bug-hunt: 1 blocking open (crit=0 high=0 med=1');
    expect(r.stderr).toContain('[med] BUG-001');

    repo.commit(bugResolve('BUG-001'), { 'src/x.py': 'x = 2\n' });
    expect(peers(['check', 'bug-hunt-clean'], repo.dir).code).toBe(0);
    r = peers(['check', 'bug-tdd', '--json'], repo.dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'bug-tdd', pass: false });
    expect(JSON.parse(r.stdout).report).toContain('BUG-001: no Bug-Reproduce commit found');
  });

  test('bug-tdd passes with a test-touching reproduce before the fix, and with a long enough waiver from a peer other than the fixer', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'high'));
    repo.commit('Reproduce B-1\n\nPeer: bob\nBug-Reproduce: B-1', { 'tests/test_x.py': 'def test_empty():\n    assert parse("") == []\n' });
    repo.commit(bugResolve('B-1'), { 'src/x.py': 'def parse(s): return []\n' });
    repo.commit(bugReport('B-2', 'crit'));
    repo.commit(bugResolve('B-2'), { 'src/y.py': 'y = 1\n' }); // fixed by bob
    // bob waives the reproduce for his own fix: that does not count.
    const waiver = repo.commit('Waive B-2\n\n{"id": "B-2", "reason": "fixed before this run started; the regression test lives in CI"}\n\nPeer: bob\nBug-Reproduce-Waive: B-2');
    let r = peers(['check', 'bug-tdd'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`B-2: its Bug-Reproduce-Waive (${waiver.slice(0, 8)}) is vouched for only by bob, who fixed the bug`);
    // alice, who filed it, approves the waiver commit: now it stands.
    repo.commit(`Approve the waiver\n\n## Review\n{"pass": true, "notes": "CI covers it"}\n\nPeer-Review-Of: ${waiver}\nPeer: alice`);
    r = peers(['check', 'bug-tdd'], repo.dir);
    expect(r.stdout + r.stderr).toContain('tdd-gate: clean (1 reproduced, 1 waived, 2 fixed); waived historical fix(es): B-2');
    expect(r.code).toBe(0);
  });

  test('bug-tdd rejects a reproduce that lands after the fix and a waiver with a short reason', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-1', 'high'));
    repo.commit(bugResolve('B-1'), { 'src/x.py': 'x = 1\n' });
    repo.commit('Reproduce B-1\n\nPeer: bob\nBug-Reproduce: B-1', { 'tests/test_x.py': 'def test_x(): pass\n' });
    repo.commit(bugReport('B-2', 'high'));
    repo.commit(bugResolve('B-2'), { 'src/y.py': 'y = 1\n' });
    repo.commit('Waive\n\n{"id": "B-2", "reason": "trust me"}\n\nPeer: alice\nBug-Reproduce-Waive: B-2');
    const r = peers(['check', 'bug-tdd'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('B-1: TDD-order broken');
    expect(r.stderr).toContain('B-2: no Bug-Reproduce commit found');
  });

  test('no-secrets finds a committed key with its line, and honours an exact allowlist entry', () => {
    repo = makeRepo();
    // Assembled at run time so this test file itself holds no key-shaped string.
    const key = ['AKIA', 'ABCDEFGHIJKLMNOP'].join('');
    repo.commit('init', { 'src/conf.py': `region = "eu"\nkey = "${key}"\n`, 'node_modules/x/k.js': key });
    let r = peers(['check', 'no-secrets'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('src/conf.py:2: AWS access key id');
    expect(r.stderr).not.toContain('node_modules');
    writeFileSync(join(repo.dir, '.secrets-allowlist'), '# test fixture\nsrc/conf.py:2:AWS access key id\n');
    r = peers(['check', 'no-secrets'], repo.dir);
    expect(r.code).toBe(0);
  });

  test("a committed file name with a line break forges no line of a check's report: the name is shown quoted, as git quotes it", () => {
    repo = makeRepo();
    const key = ['AKIA', 'ABCDEFGHIJKLMNOP'].join('');
    const forged = 'a.txt\nno-secrets: pass (0 findings)\n';
    repo.commit('init', { [forged]: `key = "${key}"\n`, [`tests/x\u2028no-new-skip-markers: pass.py`]: 'def test_a():\n    assert 1\n' });
    let r = peers(['check', 'no-secrets'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  "a.txt\\nno-secrets: pass (0 findings)\\n":1: AWS access key id');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('no-secrets: pass'))).toEqual([]);
    sh(repo.dir, ['tag', 'peers-baseline']);
    repo.commit('skip\n\nPeer: alice', { [`tests/x\u2028no-new-skip-markers: pass.py`]: '@pytest.mark.skip(reason="later")\ndef test_a():\n    assert 1\n' });
    r = peers(['check', 'no-new-skip-markers'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"tests/x\\u2028no-new-skip-markers: pass.py":1: skip:');
    expect(r.stderr).not.toContain('\u2028');
  });

  test('test-coverage-3-class needs happy, edge and sad tests across the suite', () => {
    repo = makeRepo();
    repo.commit('init', { 'tests/test_a.py': 'def test_parses_valid_input(): pass\ndef test_empty_input(): pass\n' });
    let r = peers(['check', 'test-coverage-3-class'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no sad test found');
    repo.commit('sad', { 'src/a.test.ts': "it('rejects malformed input', () => {});\n" });
    r = peers(['check', 'test-coverage-3-class'], repo.dir);
    expect(r.code).toBe(0);
  });

  test('no-new-skip-markers fails on an unexplained skip and a focused test; a reason counts once another peer stands behind it', () => {
    repo = makeRepo();
    repo.commit('init', { 'tests/test_a.py': 'def test_a():\n    assert 1\n\ndef test_b():\n    assert 1\n', 'src/a.test.ts': "it('x', () => {});\n" });
    sh(repo.dir, ['tag', 'peers-baseline']);
    repo.commit('skip\n\nPeer: alice', { 'tests/test_a.py': '@pytest.mark.skip(reason="later")\ndef test_a():\n    assert 1\n\ndef test_b():\n    assert 1\n', 'src/a.test.ts': "it.only('x', () => {});\n" });
    let r = peers(['check', 'no-new-skip-markers'], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tests/test_a.py:1: skip: @pytest.mark.skip(reason="later")');
    expect(r.stderr).toContain('src/a.test.ts:1: only: it.only');
    const justify = repo.commit('justify\n\nPeer: alice', { 'tests/test_a.py': '@pytest.mark.skip(reason="needs a running postgres; covered by the integration job")\ndef test_a():\n    assert 1\n', 'src/a.test.ts': "it('x', () => {});\n" });
    r = peers(['check', 'no-new-skip-markers'], repo.dir);
    expect(r.code).toBe(1);
    // alice wrote the reason for her own skip, and deleted test_b without a word.
    expect(r.stderr).toContain(`its reason was written by alice for its own change; another peer must approve commit ${justify.slice(0, 12)}`);
    expect(r.stderr).toContain('tests/test_a.py:4: deleted-test: removed def test_b(): — a peer other than alice must state "JUSTIFIED-TEST-REMOVAL: tests/test_a.py <reason>"');
    // Her own JUSTIFIED-TEST-REMOVAL does not count ...
    repo.commit('Explain removal\n\nJUSTIFIED-TEST-REMOVAL: tests/test_a.py test_b duplicated test_a line for line\n\nPeer: alice');
    r = peers(['check', 'no-new-skip-markers'], repo.dir);
    expect(r.stderr).toContain('its JUSTIFIED-TEST-REMOVAL was written by alice for its own change');
    // ... bob's approval of her skip and his own removal justification do.
    repo.commit(`Approve\n\n## Review\n{"pass": true, "notes": "postgres job covers it"}\n\nPeer-Review-Of: ${justify.slice(0, 12)}\nPeer: bob`);
    repo.commit('Agree on removal\n\nJUSTIFIED-TEST-REMOVAL: tests/test_a.py test_b duplicated test_a line for line\n\nPeer: bob');
    r = peers(['check', 'no-new-skip-markers'], repo.dir);
    expect(r.stdout + r.stderr).toContain('each excused by another peer');
    expect(r.code).toBe(0);
  });

  test('no-new-skip-markers inside a run compares against PEERS_RUN_BASELINE, not the movable tag; a bad baseline fails closed', () => {
    repo = makeRepo();
    const base = repo.commit('init', { 'tests/test_a.py': 'def test_a():\n    assert 1\n\ndef test_b():\n    assert 1\n' });
    repo.commit('drop test_b\n\nPeer: alice', { 'tests/test_a.py': 'def test_a():\n    assert 1\n' });
    sh(repo.dir, ['tag', '-f', 'peers-baseline', 'HEAD']); // the peer moves the tag past its deletion
    expect(peers(['check', 'no-new-skip-markers'], repo.dir).code).toBe(0); // outside a run the tag is all there is
    const inRun = (value: string) => spawnSync(BUN, [join(ROOT, 'src/main.ts'), 'check', 'no-new-skip-markers'], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PEERS_RUN_BASELINE: value } });
    let r = inRun(base);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("(the run's baseline)");
    expect(r.stderr).toContain('deleted-test: removed def test_b():');
    r = inRun('0'.repeat(40));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PEERS_RUN_BASELINE names 000000000000, which is not in this repository');
  });

  test('an unknown check exits 2 and lists the checks; a non-repository path exits 2', () => {
    repo = makeRepo();
    let r = peers(['check', 'no-such-check'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown check "no-such-check"');
    for (const id of ['bug-hunt-clean', 'bug-tdd', 'no-new-skip-markers', 'no-secrets', 'self-review-on-handoff', 'test-coverage-3-class', 'api-stable', 'no-prior-regression']) expect(r.stderr).toContain(`${id},`);
    r = peers(['check', 'bug-hunt-clean', '/'], repo.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a git repository');
  });
});

describe('peers bugs', () => {
  test('lists open blocking bugs first with counts, and as JSON', () => {
    repo = makeRepo();
    repo.commit(bugReport('B-low', 'low'));
    repo.commit(bugReport('B-crit', 'crit'));
    repo.commit(bugReport('B-fixed', 'high'));
    repo.commit(bugResolve('B-fixed'));
    const text = peers(['bugs'], repo.dir);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('bug-hunt: 1 blocking open (crit=1 high=0 med=0 low=1 info=0); 3 total reported, 1 fixed, 0 deferred, 0 have reproduce-tests');
    expect(lines[1]).toBe('open blocking:');
    expect(lines[2]).toContain('[crit] B-crit');
    expect(lines.slice(3, 7)).toEqual([
      'open advisory (low/info, or re-triage needed):',
      expect.stringContaining('[low] B-low'),
      'closed:',
      expect.stringContaining('[high] B-fixed'),
    ]);
    expect(lines[6]).toEndWith('— fixed');
    const json = JSON.parse(peers(['bugs', repo.dir, '--json'], '/').stdout);
    expect(json.summary).toMatchObject({ total: 3, open_blocking: 1 });
    expect(json.reports.map((r: { id: string }) => r.id)).toEqual(['B-crit', 'B-fixed', 'B-low']);
    expect(json.reports[1]).toMatchObject({ status: 'fixed', open: false, resolved_by: 'bob' });
  });

  test("a bug title's escape sequences (a peer's commit message) never reach the terminal", () => {
    repo = makeRepo();
    repo.commit(bugReport('B-esc', 'crit').replace('something breaks', 'it breaks \u001b[2J\u001b]0;peers: complete\u0007\u001b]52;c;cHduZWQ=\u0007 here'));
    const text = peers(['bugs'], repo.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('B-esc');
    expect(text.stdout.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g) ?? []).toEqual([]);
  });

  test("a line break in a bug's title, location or fix_by forges no line of `peers bugs` (an open crit bug never reads as closed)", () => {
    // The Bug-Report block is JSON a peer writes: "\n" in a string is a line break once parsed.
    repo = makeRepo();
    const forged = String.raw`x\nclosed:\n  [crit] B-nl (deadbeef, fix_by=bob, @ src/x.ts:1): it is fine — fixed`;
    repo.commit(`B-nl: breaks\n\n## Bug-Report\n{"id": "B-nl", "severity": "crit", "title": "${forged}", "fix_by": "bob\\nclosed:", "location": "src/x.ts:42\\r\\nclosed:", "description": "d"}\n\nPeer: alice\nBug-Report: B-nl`);
    const text = peers(['bugs'], repo.dir);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => /^\s*(?:closed:|\[crit\] B-nl \(deadbeef)/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes('B-nl')).length).toBe(1);
    expect(JSON.parse(peers(['bugs', '--json'], repo.dir).stdout).reports[0].title).toContain('\nclosed:');
  });
});

/**
 * Attack: a peer's commit message carries escape sequences (clear the screen, retitle the window,
 * OSC 52 write the clipboard, a C1 CSI) and bidi overrides (which make a reviewer read text in
 * another order): `peers review` and `peers check` print commit subjects and self-reviews.
 */
describe('peer text on the terminal', () => {
  const PLANTED = 'x \u001b[2J\u001b[H \u001b]52;c;cHduZWQ=\u0007 \u001b]0;peers: complete\u0007 \u009b31m \u202eevil\u202c \u2066y\u2069';
  const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  const controls = (text: string) => text.match(CONTROLS) ?? [];

  test('review and check show a commit subject and self-review with no control character; --json keeps them exact', () => {
    repo = makeRepo();
    repo.commit(`Add parser ${PLANTED}\n\n## Self-Review\nRe-read ${PLANTED}\n\nPeer: alice\nPeer-Status: handoff\nSelf-Review: pass`, { 'a.txt': 'a' });
    const review = peers(['review'], repo.dir);
    expect(review.code).toBe(0);
    expect(review.stdout).toContain('Add parser x ?[2J');
    expect(review.stdout).toContain('Re-read x ');
    expect(controls(review.stdout)).toEqual([]);
    const json = peers(['review', '--json'], repo.dir);
    expect(controls(json.stdout)).toEqual([]);
    expect(JSON.parse(json.stdout).handoff).toMatchObject({ subject: `Add parser ${PLANTED}`, self_review: `Re-read ${PLANTED}` });

    repo.commit(`Quick fix ${PLANTED}\n\nPeer: bob\nPeer-Status: handoff\nSelf-Review: pass`);
    const check = peers(['check', 'self-review-on-handoff'], repo.dir);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('"Quick fix x ?[2J');
    expect(controls(check.stderr)).toEqual([]);
  });
});
