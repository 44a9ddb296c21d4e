/**
 * "Green with the tests the run started with" (src/protocol/baseline-tests.ts): the counterfactual
 * commit built in a real bare repository, and the decision taken from the gates measured on it.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HardGoal } from '../../../src/config/goals-schema.ts';
import { gitOk } from '../../../src/git/git.ts';
import { counterfactualCommit, measureBaselineTests } from '../../../src/loop/shell/baseline-tests-run.ts';
import { keepStartTests } from '../../../src/loop/expensive-gates.ts';
import type { GateInput } from '../../../src/loop/tick.ts';
import { freshState } from '../../../src/state/state-schema.ts';
import { counterfactualGoals, heldByTestChanges, redIn } from '../../../src/protocol/baseline-tests.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ident = ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false'];

/** A work repository plus a bare mirror of it; `commit(files)` writes (null deletes) and commits. */
function repo() {
  const root = mkdtempSync(join(tmpdir(), 'peers-baseline-tests-'));
  dirs.push(root);
  const work = join(root, 'work');
  const mirror = join(root, 'mirror.git');
  mkdirSync(work);
  gitOk(work, ['init', '-q', '-b', 'main']);
  gitOk(root, ['init', '-q', '--bare', mirror]);
  const commit = (files: Record<string, string | null>): string => {
    for (const [rel, text] of Object.entries(files)) {
      if (text === null) rmSync(join(work, rel));
      else {
        mkdirSync(dirname(join(work, rel)), { recursive: true });
        writeFileSync(join(work, rel), text);
      }
    }
    gitOk(work, [...ident, 'add', '-A']);
    gitOk(work, [...ident, 'commit', '-q', '--allow-empty', '-m', 'c']);
    gitOk(work, ['push', '-q', mirror, 'HEAD:refs/heads/main']);
    return gitOk(work, ['rev-parse', 'HEAD']).trim();
  };
  return { mirror, commit };
}

const files = (mirror: string, sha: string) => gitOk(mirror, ['ls-tree', '-r', '--name-only', sha]).trim().split('\n');
const show = (mirror: string, sha: string, path: string) => gitOk(mirror, ['show', `${sha}:${path}`]);
const goal = (id: string, cmd: string): HardGoal => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0' }) as HardGoal;
const result = (id: string, state: 'pass' | 'fail'): GateInput => ({ id, state, durationMs: 1, diagnostic: '', cached: false });

describe("the counterfactual commit", () => {
  test("of a Rust crate puts back the unit tests in its source files and the files its test modules declare, keeping HEAD's product code", () => {
    const { mirror, commit } = repo();
    const lib = 'pub fn add(a: i64, b: i64) -> i64 {\n    a - b\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn adds() { assert_eq!(add(2, 3), 5); }\n}\n';
    const base = commit({ 'Cargo.toml': '[package]\nname = "calc"\n', 'src/lib.rs': `${lib}pub mod ops;\n`, 'src/ops.rs': 'pub fn sub(a: i64, b: i64) -> i64 { a - b }\n#[cfg(test)]\nmod checks;\n', 'src/ops/checks.rs': 'use super::*;\n#[test]\nfn subs() { assert_eq!(sub(3, 2), 1); }\n' });
    const head = commit({
      'src/lib.rs': `${lib.replace('    use super::*;\n', '    use super::*;\n    fn add(a: i64, b: i64) -> i64 { a + b }\n')}pub mod ops;\npub const VERSION: u32 = 2;\n`,
      'src/ops/checks.rs': 'use super::*;\nfn sub(a: i64, b: i64) -> i64 { a - b }\n#[test]\nfn subs() { assert_eq!(sub(3, 2), 1); }\n',
      'src/ops/checks/extra.rs': 'planted\n',
    });
    const cf = counterfactualCommit(mirror, base, head);
    if (cf.kind !== 'commit') throw new Error(`no counterfactual: ${cf.why}`);
    expect(cf.edits.inSource).toEqual(['src/lib.rs', 'src/ops/checks.rs', 'src/ops/checks/extra.rs']);
    expect(cf.edits.restore).toEqual([]);
    const libAt = show(mirror, cf.sha, 'src/lib.rs');
    expect(libAt).toContain('pub const VERSION: u32 = 2;');
    expect(libAt).not.toContain('a + b');
    expect(show(mirror, cf.sha, 'src/ops/checks.rs')).toBe(show(mirror, base, 'src/ops/checks.rs'));
    expect(files(mirror, cf.sha)).not.toContain('src/ops/checks/extra.rs');
  });
});

describe('the counterfactual commit, tests inside product files', () => {
  test("puts back a Python file's docstring examples and a TS module's vitest in-source block as the run started, keeping HEAD's code", () => {
    const { mirror, commit } = repo();
    const calc = 'def add(a, b):\n    """Sum.\n\n    >>> add(2, 3)\n    5\n    """\n    return a - b\n';
    const ts = "export const add = (a: number, b: number) => a - b;\n\nif (import.meta.vitest) {\n  const { it, expect } = import.meta.vitest;\n  it('adds', () => expect(add(2, 3)).toBe(5));\n}\n";
    const base = commit({ 'pytest.ini': '[pytest]\naddopts = --doctest-modules\n', 'calc.py': calc, 'src/calc.ts': ts });
    const head = commit({ 'calc.py': calc.replace('    5\n', '    -1\n').replace('return a - b', 'return a - b  # v2'), 'src/calc.ts': `${ts.replace('toBe(5)', 'toBe(-1)')}export const V = 2;\n` });
    const cf = counterfactualCommit(mirror, base, head);
    if (cf.kind !== 'commit') throw new Error(`no counterfactual: ${cf.why}`);
    expect(cf.edits.inSource).toEqual(['calc.py', 'src/calc.ts']);
    expect(show(mirror, cf.sha, 'calc.py')).toBe(calc.replace('return a - b', 'return a - b  # v2'));
    const tsAt = show(mirror, cf.sha, 'src/calc.ts');
    expect(tsAt).toContain('toBe(5)');
    expect(tsAt).not.toContain('toBe(-1)');
    expect(tsAt).toContain('export const V = 2;');
  });

  test('holds (throws) when a changed file holds a doctest source it cannot put back', () => {
    const { mirror, commit } = repo();
    const base = commit({ 'calc.py': 'def add(a, b):\n    return a - b\n' });
    const head = commit({ 'calc.py': 'def add(a, b):\n    return a - b\n__test__ = {"sum": ">>> add(2, 3)\\n-1"}\n' });
    expect(() => counterfactualCommit(mirror, base, head)).toThrow(/calc.py: a doctest source other than a docstring/);
  });
});

describe('the counterfactual commit', () => {
  test("is HEAD's code with every test file as the run started: changed and deleted tests restored, added tests removed", () => {
    const { mirror, commit } = repo();
    const base = commit({ 'calc.py': 'buggy\n', 'tests/__init__.py': '', 'tests/test_calc.py': 'assert add(2, 3) == 5\n', 'tests/test_old.py': 'old\n' });
    const head = commit({ 'calc.py': 'buggy\nVERSION = 1\n', 'tests/__init__.py': 'calc.add = fixed\n', 'tests/test_zzz.py': 'patch\n', 'tests/test_old.py': null, 'helper.py': 'new code\n' });
    const cf = counterfactualCommit(mirror, base, head);
    expect(cf.kind).toBe('commit');
    if (cf.kind !== 'commit') return;
    expect(cf.edits).toEqual({ restore: ['tests/__init__.py', 'tests/test_old.py'], remove: ['tests/test_zzz.py'] });
    expect(files(mirror, cf.sha).sort()).toEqual(['calc.py', 'helper.py', 'tests/__init__.py', 'tests/test_calc.py', 'tests/test_old.py']);
    expect(show(mirror, cf.sha, 'calc.py')).toBe('buggy\nVERSION = 1\n');
    expect(show(mirror, cf.sha, 'tests/__init__.py')).toBe('');
    expect(show(mirror, cf.sha, 'tests/test_old.py')).toBe('old\n');
    // The loop's own object: a child of HEAD, on no ref.
    expect(gitOk(mirror, ['rev-parse', `${cf.sha}^`]).trim()).toBe(head);
    expect(gitOk(mirror, ['for-each-ref', '--contains', cf.sha]).trim()).toBe('');
  });

  test("an honest refactor that renamed the product module the tests import: HEAD's module is at its old path too, the tests as they started", () => {
    const { mirror, commit } = repo();
    const start = 'export function add(a, b) {\n  return a - b;\n}\n// the arithmetic of the calculator, kept in one place for every caller\n';
    const base = commit({ 'src/calc.mjs': start, 'test/calc.test.mjs': "import { add } from '../src/calc.mjs';\nassert(add(2, 3) === 5);\n", 'test/old-name.test.mjs': 'x\n' });
    const fixed = start.replace('a - b', 'a + b');
    const head = commit({ 'src/calc.mjs': null, 'src/arithmetic.mjs': fixed, 'test/calc.test.mjs': "import { add } from '../src/arithmetic.mjs';\nassert(add(2, 3) === 5);\n", 'test/old-name.test.mjs': null, 'test/new-name.test.mjs': 'x\n' });
    const cf = counterfactualCommit(mirror, base, head);
    expect(cf.kind).toBe('commit');
    if (cf.kind !== 'commit') return;
    expect(cf.edits.aliased).toEqual(['src/calc.mjs']);
    expect(show(mirror, cf.sha, 'src/calc.mjs')).toBe(fixed);
    expect(show(mirror, cf.sha, 'src/arithmetic.mjs')).toBe(fixed);
    expect(show(mirror, cf.sha, 'test/calc.test.mjs')).toContain("from '../src/calc.mjs'");
    // A renamed test is a test change: undone, never aliased.
    expect(files(mirror, cf.sha)).toContain('test/old-name.test.mjs');
    expect(files(mirror, cf.sha)).not.toContain('test/new-name.test.mjs');
  });

  test('a test path with pathspec magic or spaces is restored literally', () => {
    const { mirror, commit } = repo();
    const base = commit({ 'tests/test_:(glob)*.py': 'start\n', 'tests/test a.py': 'start a\n', 'src.py': 'x\n' });
    const head = commit({ 'tests/test_:(glob)*.py': 'patched\n', 'tests/test a.py': 'patched a\n' });
    const cf = counterfactualCommit(mirror, base, head);
    if (cf.kind !== 'commit') throw new Error(cf.why);
    expect(show(mirror, cf.sha, 'tests/test_:(glob)*.py')).toBe('start\n');
    expect(show(mirror, cf.sha, 'tests/test a.py')).toBe('start a\n');
  });

  test('none when the run changed no test file, or started without any', () => {
    const a = repo();
    const base = a.commit({ 'calc.py': 'buggy\n', 'tests/test_calc.py': 't\n' });
    expect(counterfactualCommit(a.mirror, base, a.commit({ 'calc.py': 'fixed\n' }))).toEqual({ kind: 'none', why: 'the run changed no test file', unchangedTests: true });
    const b = repo();
    const empty = b.commit({ 'README.md': 'new project\n' });
    expect(counterfactualCommit(b.mirror, empty, b.commit({ 'calc.py': 'x\n', 'tests/test_calc.py': 't\n' }))).toEqual({ kind: 'none', why: 'the run started without test files' });
  });
});

describe('the decision', () => {
  test('pure parts: peers checks skipped, held only when red on the counterfactual and at the start', () => {
    expect(counterfactualGoals([goal('a', 'peers check bug-tdd'), goal('b', 'npm test'), goal('c', '  peers  check x')]).map((g) => g.id)).toEqual(['b']);
    const red = redIn(['t', 'u', 'v', 'w'], [result('t', 'fail'), result('u', 'fail'), result('w', 'pass')]);
    expect(red).toEqual(['t', 'u', 'v']);
    expect(heldByTestChanges(red, [result('t', 'fail'), result('u', 'pass')])).toEqual(['t', 'v']);
  });

  const setup = () => {
    const { mirror, commit } = repo();
    const base = commit({ 'calc.py': 'buggy\n', 'tests/test_calc.py': 't\n' });
    const head = commit({ 'calc.py': 'buggy\nVERSION = 1\n', 'tests/__init__.py': 'patch\n' });
    return { mirror, base, head };
  };
  const goals = [goal('tests', 'pytest'), goal('tdd', 'peers check bug-tdd')];

  test('held when the gate is red with the original tests and was red at the start; the start is kept', async () => {
    const { mirror, base, head } = setup();
    const probed: string[] = [];
    const rec = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => (probed.push(sha), gs.map((g) => result(g.id, 'fail'))) });
    expect(rec.held).toEqual(['tests']);
    expect(rec.detail).toContain('tests/__init__.py (added)');
    expect(rec.start).toEqual({ tests: 'fail' });
    expect(probed.length).toBe(2);
    expect(probed[1]).toBe(base);
    // With the start kept, only the counterfactual is measured again.
    const again: string[] = [];
    await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: rec.start, startTests: rec.start_tests, probe: async (sha, gs) => (again.push(sha), gs.map((g) => result(g.id, 'fail'))) });
    expect(again.length).toBe(1);
  });

  test('not held when the original tests pass on the code (a real fix), nor for a gate green at the start (a behaviour change)', async () => {
    const { mirror, base, head } = setup();
    const fixed = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (_sha, gs) => gs.map((g) => result(g.id, 'pass')) });
    expect(fixed.held).toEqual([]);
    const changed = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => gs.map((g) => result(g.id, sha === base ? 'pass' : 'fail')) });
    expect(changed.held).toEqual([]);
    expect(changed.detail).toContain('a behaviour change');
  });

  test('fails closed: a probe that throws, or a base git cannot read, holds every gate it would run', async () => {
    const { mirror, base, head } = setup();
    const thrown = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async () => { throw new Error('runner gone'); } });
    expect(thrown.held).toEqual(['tests']);
    expect(thrown.detail).toContain('runner gone');
    const unknown = await measureBaselineTests({ mirror, base: 'f'.repeat(40), head, tree: 'tree', goals, start: null, probe: async (_s, gs) => gs.map((g) => result(g.id, 'pass')) });
    expect(unknown.held).toEqual(['tests']);
  });

  // "Fewer of the starting tests never run green" (src/protocol/tests-run.ts).
  const counted = (id: string, state: 'pass' | 'fail', node: number) => ({ ...result(id, state), testsRun: { node } });

  test('held when the gate is green with the original tests but runs fewer of them than at the start, test files changed or not', async () => {
    const { mirror, base, head } = setup();
    const probed: string[] = [];
    const rec = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => (probed.push(sha), gs.map((g) => (sha === base ? counted(g.id, 'fail', 3) : counted(g.id, 'pass', 2)))) });
    expect(rec.held).toEqual(['tests']);
    expect(rec.detail).toContain('fewer tests ran');
    expect(rec.detail).toContain('tests ran 2 tests (node summary) where the run\'s start ran 3');
    expect(rec.start_tests).toEqual({ tests: { node: 3 } });
    // No test file changed: HEAD itself is measured against the start.
    const code = repo();
    const b2 = code.commit({ 'calc.mjs': 'buggy\n', 'test/calc.test.mjs': 't\n' });
    const h2 = code.commit({ 'calc.mjs': 'buggy\nprocess.exit(0)\n' });
    const seen: string[] = [];
    const exitEarly = await measureBaselineTests({ mirror: code.mirror, base: b2, head: h2, tree: 'tree', goals, start: null, probe: async (sha, gs) => (seen.push(sha), gs.map((g) => (sha === b2 ? counted(g.id, 'fail', 3) : counted(g.id, 'pass', 2)))) });
    expect(seen).toEqual([h2, b2]);
    expect(exitEarly.held).toEqual(['tests']);
    expect(exitEarly.detail).toContain(`commit ${h2.slice(0, 12)}`);
  });

  test('not held for as many tests or more, nor a gate with no count at the start; a count gone from the output counts as none', async () => {
    const { mirror, base, head } = setup();
    const same = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => gs.map((g) => (sha === base ? counted(g.id, 'fail', 3) : counted(g.id, 'pass', 4))) });
    expect(same.held).toEqual([]);
    expect(same.detail).toContain('running as many tests as at the start');
    const uncounted = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => gs.map((g) => (sha === base ? result(g.id, 'fail') : counted(g.id, 'pass', 0))) });
    expect(uncounted.held).toEqual([]);
    const gone = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, probe: async (sha, gs) => gs.map((g) => (sha === base ? counted(g.id, 'fail', 3) : result(g.id, 'pass'))) });
    expect(gone.held).toEqual(['tests']);
    expect(gone.detail).toContain('tests ran 0 tests');
  });

  test('a kept start without counts (a state from before the count rule) is measured again', async () => {
    const { mirror, base, head } = setup();
    const probed: string[] = [];
    await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: { tests: 'fail' }, startTests: null, probe: async (sha, gs) => (probed.push(sha), gs.map((g) => counted(g.id, 'pass', 3))) });
    expect(probed.length).toBe(2);
  });

  test("the start's counts kept from the loop's first measure spare the start's probe; a gate missing from them is measured there", async () => {
    const { mirror, base, head } = setup();
    const probed: string[] = [];
    const probe = async (sha: string, gs: Array<{ id: string }>) => (probed.push(sha), gs.map((g) => counted(g.id, 'pass', sha === base ? 3 : 2)));
    const rec = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, startTests: { tests: { node: 3 } }, probe });
    // Only the counterfactual was measured (a commit of the loop's own, not the start).
    expect(probed.length).toBe(1);
    expect(probed[0]).not.toBe(base);
    expect(rec.held).toEqual(['tests']);
    probed.length = 0;
    const other = await measureBaselineTests({ mirror, base, head, tree: 'tree', goals, start: null, startTests: { lint: {} }, probe });
    expect(probed.length).toBe(2);
    expect(probed[1]).toBe(base);
    expect(other.start_tests).toEqual({ lint: {}, tests: { node: 3 } });
  });
});

describe("keepStartTests: the loop's first measure of the baseline is the fewer-tests rule's start", () => {
  const state = (baseline: string | null, start_tests: Record<string, Record<string, number>> | null = null) => ({ ...freshState(['a', 'b']), baseline, start_tests });
  const r = (id: string, node?: number): GateInput => ({ ...result(id, 'pass'), ...(node === undefined ? {} : { testsRun: { node } }) });

  test('kept at the baseline only, first measure of each gate wins, a gate without a count kept as measured ({})', () => {
    expect(keepStartTests(state('b'), 'b', [r('t', 3), r('lint')]).start_tests).toEqual({ t: { node: 3 }, lint: {} });
    expect(keepStartTests(state('b'), 'h', [r('t', 3)]).start_tests).toBeNull();
    expect(keepStartTests(state(null), 'b', [r('t', 3)]).start_tests).toBeNull();
    expect(keepStartTests(state('b', { t: { node: 3 } }), 'b', [r('t', 1), r('u', 2)]).start_tests).toEqual({ t: { node: 3 }, u: { node: 2 } });
  });
});

