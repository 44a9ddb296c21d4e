/**
 * implement mode's gates on real repositories with attested commits: a step counts only when a
 * peer other than its implementer checked it off, is traced to its commit, keeps its original
 * wording, is reported in DELIVERY.md; the pinned acceptance files stay as pinned; no shortcut
 * markers are added; each peer writes its own honesty audit after the last code change.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { git, TestRepo } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const plan = (marks: [string, string], shas: [string?, string?] = [], texts = ['Greet by name', 'Greet in French']) => `# Greeter

## Meta
surfaces: [cli]
acceptance: node --test test/acceptance.test.js

## Steps
- [${marks[0]}] [STEP-1] ${texts[0]}${shas[0] ? ` (${shas[0].slice(0, 10)})` : ''}
  - touches: src/greet.js
- [${marks[1]}] [STEP-2] ${texts[1]}${shas[1] ? ` (${shas[1].slice(0, 10)})` : ''}
  - touches: src/fr.js
`;

function start(): void {
  repo = new TestRepo();
  repo.commit('plan', { 'PLAN.md': plan([' ', ' ']), 'test/acceptance.test.js': "require('node:test')('greets', () => {});\n" });
  repo.baseline();
}

describe('plan checks', () => {
  test('a step implemented and checked off by the same peer does not count; checked off by the other peer it does', async () => {
    start();
    const impl1 = repo.commitAs('alice', 'STEP-1', { 'src/greet.js': 'module.exports = (n) => `hi ${n}`;\n' });
    // alice checks off her own step.
    repo.commitAs('alice', 'check off STEP-1', { 'PLAN.md': plan(['x', ' '], [impl1]) });
    let r = await repo.check('checkoff-by-other-peer');
    expect(r.pass).toBe(false);
    expect(r.report).toContain('PLAN.md:8: STEP-1 was implemented and checked off by alice');

    // Undone, then bob reviews and checks it off: that is the checkoff that counts (the latest).
    repo.commitAs('alice', 'uncheck', { 'PLAN.md': plan([' ', ' '], [impl1]) });
    repo.commitAs('bob', 'review STEP-1: ok', { 'PLAN.md': plan(['x', ' '], [impl1]) });
    r = await repo.check('checkoff-by-other-peer');
    expect(r.report).toBe('checkoff-by-other-peer: 1 step(s) checked off this run, each by a peer other than its implementer');

    // bob implements STEP-2 in a commit that also checks it off: the same peer again.
    const impl2 = repo.commitAs('bob', 'STEP-2 and check', { 'src/fr.js': 'module.exports = (n) => `salut ${n}`;\n' });
    repo.commitAs('bob', 'check STEP-2', { 'PLAN.md': plan(['x', 'x'], [impl1, impl2]) });
    expect((await repo.check('checkoff-by-other-peer')).report).toContain('STEP-2 was implemented and checked off by bob');

    // A checkoff made outside any peer's tick (no attestation) counts for nobody.
    repo.commit('operator edits the plan by hand', { 'PLAN.md': plan(['x', ' '], [impl1, impl2]) });
    repo.commit('and re-checks', { 'PLAN.md': plan(['x', 'x'], [impl1, impl2]) });
    expect((await repo.check('checkoff-by-other-peer')).report).toContain("STEP-2 was checked off in commit");
  });

  test("a checkoff does not count when its checker wrote the step's file since the last checkoff that covered it: in the checkoff commit, or behind the other peer's later touch", async () => {
    // Only the last commit before the checkoff was read: alice checked off bob's STEP-2 and rewrote
    // src/fr.js in the same commit; and she checked off her own STEP-1 naming bob's one-line touch
    // of src/greet.js as its commit. Both counted before.
    start();
    const impl2 = repo.commitAs('bob', 'STEP-2', { 'src/fr.js': 'module.exports = (n) => `salut ${n}`;\n' });
    repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': plan([' ', 'x'], [undefined, impl2]), 'src/fr.js': "module.exports = (n) => (n === 'Eve' ? 'va-t-en' : `salut ${n}`);\n" });
    expect((await repo.check('checkoff-by-other-peer')).report).toContain('STEP-2 was implemented and checked off by alice');

    start();
    repo.commitAs('alice', 'STEP-1', { 'src/greet.js': "module.exports = (n) => (n === 'Eve' ? 'go away' : `hi ${n}`);\n" });
    const touch = repo.commitAs('bob', 'tidy', { 'src/greet.js': "// greeting\nmodule.exports = (n) => (n === 'Eve' ? 'go away' : `hi ${n}`);\n" });
    repo.commitAs('alice', 'check off STEP-1', { 'PLAN.md': plan(['x', ' '], [touch]) });
    expect((await repo.check('plan-step-traceable')).pass).toBe(true);
    expect((await repo.check('checkoff-by-other-peer')).report).toContain('STEP-1 was implemented and checked off by alice');

    // Control: a file covered by a counted checkoff is read from there on. bob checks off alice's
    // STEP-1, changes src/greet.js for STEP-2 (touching it too), and alice checks STEP-2 off.
    start();
    const impl1 = repo.commitAs('alice', 'STEP-1', { 'src/greet.js': 'module.exports = (n) => `hi ${n}`;\n' });
    repo.commitAs('bob', 'check off STEP-1', { 'PLAN.md': plan(['x', ' '], [impl1]) });
    const impl2b = repo.commitAs('bob', 'STEP-2', { 'src/greet.js': 'module.exports = (n, fr) => (fr ? `salut ${n}` : `hi ${n}`);\n', 'src/fr.js': 'module.exports = 1;\n' });
    repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': plan(['x', 'x'], [impl1, impl2b]).replace('  - touches: src/fr.js', '  - touches: src/greet.js') });
    const ok = await repo.check('checkoff-by-other-peer');
    expect(ok.report).toBe('checkoff-by-other-peer: 2 step(s) checked off this run, each by a peer other than its implementer');

    // Coverage follows history, not the plan: STEP-1 unchecked and checked again after alice's own
    // checkoff of STEP-2 does not make that checkoff read from the later one.
    start();
    const both = (marks: [string, string], shas: [string?, string?]) => plan(marks, shas).replace('  - touches: src/fr.js', '  - touches: src/greet.js');
    const s1 = repo.commitAs('alice', 'STEP-1', { 'src/greet.js': 'module.exports = (n) => `hi ${n}`;\n' });
    const bobs = repo.commitAs('bob', 'check off STEP-1', { 'PLAN.md': both(['x', ' '], [s1]) });
    repo.commitAs('alice', 'STEP-2', { 'src/greet.js': "module.exports = (n) => (n === 'Eve' ? 'go away' : `hi ${n}`);\n" });
    repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': both(['x', 'x'], [s1, bobs]) });
    repo.commitAs('bob', 'uncheck STEP-1', { 'PLAN.md': both([' ', 'x'], [s1, bobs]) });
    repo.commitAs('bob', 'check STEP-1 again', { 'PLAN.md': both(['x', 'x'], [s1, bobs]) });
    expect((await repo.check('checkoff-by-other-peer')).report).toContain('STEP-2 was implemented and checked off by alice');
  });

  test("two steps sharing a file, each implemented by one peer and checked off by the other, both count; a checker's earlier change needs another peer's counted checkoff", async () => {
    // The README's example: STEP-1 and STEP-2 both touch src/greet.js. Every change to the file
    // since the run's start named an implementer, so alice's STEP-1 made her an implementer of
    // bob's STEP-2 and bob's STEP-2 one of STEP-1: neither checkoff counted and the run held forever.
    start();
    const both = (marks: [string, string], shas: [string?, string?]) => plan(marks, shas).replace('  - touches: src/fr.js', '  - touches: src/greet.js');
    const s1 = repo.commitAs('alice', 'STEP-1', { 'src/greet.js': 'module.exports = (n) => `hi ${n}`;\n' });
    const s2 = repo.commitAs('bob', 'STEP-2', { 'src/greet.js': 'module.exports = (n, fr) => (fr ? `salut ${n}` : `hi ${n}`);\n' });
    repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': both([' ', 'x'], [s1, s2]) });
    // Until bob checks off a step over alice's change, her STEP-2 checkoff does not count.
    expect((await repo.check('checkoff-by-other-peer')).report).toContain('STEP-2 was implemented and checked off by alice');
    repo.commitAs('bob', 'check off STEP-1', { 'PLAN.md': both(['x', 'x'], [s1, s2]) });
    expect((await repo.check('checkoff-by-other-peer')).report).toBe('checkoff-by-other-peer: 2 step(s) checked off this run, each by a peer other than its implementer');

    // alice's change before the step's commit is not excused by her own checkoff of the other step:
    // she checks off bob's STEP-2, then her own STEP-1 naming bob's commit as its.
    start();
    repo.commitAs('alice', 'STEP-1', { 'src/greet.js': "module.exports = (n) => (n === 'Eve' ? 'go away' : `hi ${n}`);\n" });
    const b2 = repo.commitAs('bob', 'STEP-2', { 'src/greet.js': "module.exports = (n, fr) => (n === 'Eve' ? 'go away' : fr ? `salut ${n}` : `hi ${n}`);\n" });
    repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': both([' ', 'x'], [undefined, b2]) });
    repo.commitAs('alice', 'check off STEP-1', { 'PLAN.md': both(['x', 'x'], [b2, b2]) });
    const r = await repo.check('checkoff-by-other-peer');
    expect(r.report).toContain('STEP-1 was implemented and checked off by alice');
    expect(r.report).toContain('STEP-2 was implemented and checked off by alice');
  });

  test('plan-complete: open and PARTIAL steps are not done; BLOCKED waits for the operator\'s --acked', async () => {
    start();
    repo.commitAs('alice', 'progress', { 'PLAN.md': plan(['x', 'PARTIAL']) });
    let r = await repo.check('plan-complete');
    expect(r.report).toContain('PLAN.md:10: STEP-2 Greet in French — PARTIAL: not done yet');
    repo.commitAs('alice', 'blocked', { 'PLAN.md': plan(['x', 'BLOCKED']) });
    r = await repo.check('plan-complete');
    expect(r.report).toContain('STEP-2 Greet in French — BLOCKED, not acknowledged: the operator decides with `peers ack-block STEP-2 --reason …`');
    r = await repo.check('plan-complete', { acked: ['STEP-2'] });
    expect(r).toEqual({ pass: true, report: 'plan-complete: all 2 step(s) done (STEP-2 blocked, acknowledged by the operator)' });
    // A plan that no longer validates fails with the file and line.
    repo.commitAs('alice', 'break it', { 'PLAN.md': '# Greeter\n## Steps\n- [x] [STEP-1] x\n' });
    expect((await repo.check('plan-complete')).report).toBe('plan-complete: PLAN.md does not validate:\n  PLAN.md:3: STEP-1 must list the files it touches (  - touches: src/a.ts, test/a.test.ts), or say trivial: true / pure_documentation: true\n  PLAN.md:4: missing section "## Meta"');
  });

  test('plan-original-preserved and plan-step-traceable', async () => {
    start();
    const impl = repo.commitAs('alice', 'STEP-1', { 'src/greet.js': 'x\n' });
    const other = repo.commitAs('alice', 'unrelated', { 'README.md': 'x\n' });
    repo.commitAs('bob', 'reword and check', { 'PLAN.md': plan(['x', 'x'], [impl, other], ['Greet by name', 'Say hello']) });
    const kept = await repo.check('plan-original-preserved');
    expect(kept.report).toContain('PLAN.md:10: STEP-2 was reworded from "Greet in French" to "Say hello"');
    const traced = await repo.check('plan-step-traceable');
    expect(traced.pass).toBe(false);
    expect(traced.report).toContain(`STEP-2: ${other.slice(0, 10)} changes none of src/fr.js`);
    expect(traced.report).not.toContain('STEP-1');
    repo.commitAs('bob', 'a step named by a commit from before the run', { 'PLAN.md': plan(['x', 'x'], [impl, git(repo.dir, ['rev-parse', 'peers-baseline'])]) });
    expect((await repo.check('plan-step-traceable')).report).toContain('which is not a commit of this run');
  });

  test('plan-step-traceable: one commit is one step\'s, also on a file two steps share', async () => {
    // alice checked off STEP-2, which nobody built, naming bob's STEP-1 commit: both steps touch
    // src/greet.js, and every plan gate passed before.
    const shared = (m1: string, m2: string, sha1 = '', sha2 = '') => `# Greeter\n\n## Meta\nsurfaces: [cli]\nacceptance: node --test test/acceptance.test.js\n\n## Steps\n- [${m1}] [STEP-1] Greet by name${sha1 ? ` (${sha1.slice(0, 10)})` : ''}\n  - touches: src/greet.js\n- [${m2}] [STEP-2] Greet in French${sha2 ? ` (${sha2.slice(0, 10)})` : ''}\n  - touches: src/greet.js\n`;
    repo = new TestRepo();
    repo.commit('plan', { 'PLAN.md': shared(' ', ' '), 'test/acceptance.test.js': "require('node:test')('greets', () => {});\n" });
    repo.baseline();
    const s1 = repo.commitAs('bob', 'STEP-1', { 'src/greet.js': 'module.exports = (n) => `hi ${n}`;\n' });
    repo.commitAs('alice', 'check off STEP-1 and STEP-2', { 'PLAN.md': shared('x', 'x', s1, s1) });
    const traced = await repo.check('plan-step-traceable');
    expect(traced.pass).toBe(false);
    expect(traced.report).toContain(`PLAN.md:10: STEP-2 names ${s1.slice(0, 10)}, the commit of STEP-1: each step is implemented in a commit of its own`);
    // Built in a commit of its own and checked off by the other peer, it counts.
    const s2 = repo.commitAs('bob', 'STEP-2', { 'src/greet.js': 'module.exports = (n, fr) => (fr ? `salut ${n}` : `hi ${n}`);\n' });
    repo.commitAs('alice', 'check off STEP-2 on its commit', { 'PLAN.md': shared('x', 'x', s1, s2) });
    expect((await repo.check('plan-step-traceable')).pass).toBe(true);
    expect((await repo.check('checkoff-by-other-peer')).pass).toBe(true);
  });

  test("plan-original-preserved: a step's files, flags and dependencies are the operator's, not only its wording", async () => {
    // Rewritten, they decided which commit is the step's and who implemented it: alice checked off
    // STEP-2, which she never built, naming bob's notes commit after pointing the step's touches at
    // his notes file, or after marking it trivial; every other plan gate passed before.
    start();
    expect((await repo.check('plan-original-preserved')).pass).toBe(true);
    const notes = repo.commitAs('bob', 'review notes', { 'REVIEW_NOTES.md': 'STEP-1 read\n' });
    const checked = plan([' ', 'x'], [undefined, notes]);
    for (const [rewrite, field, was, now] of [
      ['  - touches: REVIEW_NOTES.md', 'touches', 'src/fr.js', 'REVIEW_NOTES.md'],
      ['  - touches: src/fr.js, REVIEW_NOTES.md', 'touches', 'src/fr.js', 'REVIEW_NOTES.md, src/fr.js'],
      ['  - trivial: true', 'trivial', 'false', 'true'],
      ['  - pure_documentation: true', 'pure_documentation', 'false', 'true'],
      ['  - touches: src/fr.js\n  - depends: STEP-1', 'depends', '(none)', 'STEP-1'],
    ] as const) {
      repo.commitAs('alice', 'check off STEP-2', { 'PLAN.md': checked.replace('  - touches: src/fr.js', rewrite) });
      // The step now names bob's commit as one that changes a file it touches (or needs none).
      if (field !== 'depends') expect((await repo.check('plan-step-traceable')).pass).toBe(true);
      const r = await repo.check('plan-original-preserved');
      expect(r.pass).toBe(false);
      expect(r.report).toContain(`PLAN.md:10: STEP-2 changed its ${field} from "${was}" to "${now}"`);
    }
    // Control: checking a step off, with its commit, keeps its definition.
    repo.commitAs('bob', 'as planned', { 'PLAN.md': checked });
    expect((await repo.check('plan-original-preserved')).report).toBe('plan-original-preserved: all 2 original step(s) kept as written');
  });

  test('delivery-report-complete names each missing section and field', async () => {
    start();
    repo.commitAs('alice', 'delivery', { 'DELIVERY.md': '# Delivery\n\n## [STEP-1] Greet by name\n- **Commit:** abc\n- **Tests:** test/greet.test.js\n- **Justification:**   \n' });
    const r = await repo.check('delivery-report-complete');
    expect(r.report).toBe('delivery-report: DELIVERY.md:\n  STEP-1: the Justification is empty\n  STEP-2: no "## [STEP-2] …" section');
  });
});

describe('frozen contract and honesty', () => {
  test('contracts-unchanged: a pinned file edited, replaced by a symlink or deleted fails', async () => {
    start();
    const blob = git(repo.dir, ['rev-parse', 'HEAD:test/acceptance.test.js']);
    const pin = [`test/acceptance.test.js=${blob}`];
    expect((await repo.check('contracts-unchanged', { pins: pin })).pass).toBe(true);
    repo.commitAs('alice', 'weaken', { 'test/acceptance.test.js': "require('node:test')('greets', () => { /* nothing */ });\n" });
    expect((await repo.check('contracts-unchanged', { pins: pin })).report).toContain(`test/acceptance.test.js: changed (pinned ${blob.slice(0, 12)}`);
    expect((await repo.check('contracts-unchanged', { pins: ['no-equals-sign'] })).pass).toBe(false);
    git(repo.dir, ['rm', '-q', 'test/acceptance.test.js']);
    repo.write({ 'elsewhere.js': 'x' });
    repo.commitAs('alice', 'move it away');
    expect((await repo.check('contracts-unchanged', { pins: pin })).report).toContain('test/acceptance.test.js: deleted');
    const { mkdirSync, symlinkSync } = await import('node:fs');
    mkdirSync(`${repo.dir}/test`, { recursive: true });
    symlinkSync('../elsewhere.js', `${repo.dir}/test/acceptance.test.js`);
    repo.commitAs('alice', 'link it');
    expect((await repo.check('contracts-unchanged', { pins: pin })).report).toContain('test/acceptance.test.js: replaced by a symlink');
  });

  test('no-shortcut-markers: new TODOs and stubs fail; old ones do not; JUSTIFIED needs another peer\'s approval', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/old.py': '# TODO: pre-existing, not this run\n' });
    repo.baseline();
    repo.commitAs('alice', 'stub', { 'src/new.py': 'def f():\n    raise NotImplementedError\n', 'src/b.rs': 'pub fn g() { todo!() }\n', 'src/c.ts': '// the todo list is in README\nexport const x = 1;\n' });
    let r = await repo.check('no-shortcut-markers');
    expect(r.report).toContain('src/new.py:2: NotImplementedError');
    expect(r.report).toContain('src/b.rs:1: todo!(');
    expect(r.report).not.toContain('old.py');
    expect(r.report).not.toContain('src/c.ts');
    repo.commitAs('alice', 'fill in', { 'src/new.py': 'def f():\n    return 1\n', 'src/b.rs': 'pub fn g() {}\n' });
    const marked = repo.commitAs('alice', 'hack', { 'src/d.js': 'const t = 5; // HACK JUSTIFIED: the vendor API needs a 5 s pause, see its rate-limit docs\n' });
    r = await repo.check('no-shortcut-markers');
    expect(r.report).toContain(`JUSTIFIED, but alice wrote it for its own change; another peer must approve commit ${marked.slice(0, 12)}`);
    repo.approve('bob', marked);
    expect((await repo.check('no-shortcut-markers')).pass).toBe(true);
  });

  test('no-shortcut-markers: a NUL byte in the file (git would call it binary) does not hide a new stub', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'src/old.py': 'x = 1\n' });
    repo.baseline();
    repo.commitAs('alice', 'stub', { 'src/new.js': '// \0\nexport function f() {\n  throw new Error("not implemented");\n}\n' });
    const r = await repo.check('no-shortcut-markers');
    expect(r.pass).toBe(false);
    expect(r.report).toContain('src/new.js:3');
  });

  test('honesty-audit: each peer writes its own complete section after the last code change', async () => {
    start();
    const section = (name: string) => `## ${name}\n### Weakest part\nThe French greeting ignores regional variants entirely.\n### Likely uncaught bug\nNames with combining accents are not normalised before output.\n### Skipped or shortcut\nNo test covers names longer than one hundred characters.\n`;
    repo.commitAs('alice', 'code', { 'src/greet.js': 'x\n' });
    repo.commitAs('bob', 'code', { 'src/fr.js': 'y\n' });
    // alice writes both sections: bob's confession is not bob's.
    repo.commitAs('alice', 'audit', { 'HONESTY_AUDIT.md': `# Honesty audit\n\n${section('alice')}\n${section('bob')}` });
    let r = await repo.check('honesty-audit');
    expect(r.report).toContain('bob: lines of its section were written by alice');
    expect(r.report).not.toContain('  alice:');
    repo.commitAs('bob', 'my audit', { 'HONESTY_AUDIT.md': `# Honesty audit\n\n${section('alice')}\n${section('bob').replace('entirely', 'entirely, as written')}` });
    r = await repo.check('honesty-audit');
    expect(r.report).toContain('bob: lines of its section were written by alice');
    // bob rewrites every line of his section himself.
    repo.commitAs('bob', 'my audit, all mine', { 'HONESTY_AUDIT.md': `# Honesty audit\n\n${section('alice')}\n## bob\n### Weakest part\nOur French strings were never reviewed by a native speaker.\n### Likely uncaught bug\nAn empty name prints a dangling comma in French.\n### Skipped or shortcut\nThe CLI flag parsing has no tests for unknown flags.\n` });
    expect((await repo.check('honesty-audit')).pass).toBe(true);
    // Code changes after the audit make every section stale.
    repo.commitAs('alice', 'late fix', { 'src/greet.js': 'z\n' });
    r = await repo.check('honesty-audit');
    expect(r.report).toContain('alice: its section predates the last code change');
    expect(r.report).toContain('bob: its section predates the last code change');
  });
});
