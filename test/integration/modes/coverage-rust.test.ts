/**
 * tests-cover-happy-edge-sad on Rust and Go: Rust's unit tests live beside the code in src/, and a
 * `kind:` marker is written in the language's own comment (`//`; `#` is no comment in Rust or Go),
 * which is also what the check's hint says to add.
 */
import { afterEach, expect, test } from 'bun:test';
import { TestRepo } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const lib = (tests: string) => `pub fn area(w: u32, h: u32) -> u32 { w * h }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n${tests}}\n`;
const TWO = '    #[test]\n    fn area_ok() { assert_eq!(area(1, 2), 2); }\n    #[test]\n    fn area_invalid_error() { assert_eq!(area(0, 2), 0); }\n';

test('Rust unit tests in src/ count; a missing class is named, with the marker in Rust comment syntax', async () => {
  repo = new TestRepo();
  repo.commit('start', { 'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n', 'src/lib.rs': lib(TWO), 'src/other.rs': 'pub fn not_a_test() {}\n' });
  let r = await repo.check('test-coverage-3-class');
  expect(r).toEqual({ pass: false, report: 'coverage-3-class: 1 test file(s); no edge test found (name tests for what they prove, or add "// kind: edge")' });
  repo.commit('edge', { 'src/lib.rs': lib(`${TWO}    #[test]\n    fn area_max_edge() { assert_eq!(area(u16::MAX as u32, 1), 65535); }\n`) });
  r = await repo.check('test-coverage-3-class');
  expect(r.pass).toBe(true);
});

test('Rust: the hint\'s own "// kind: edge" marker makes the check pass; "# kind: edge" (no comment in Rust) does not', async () => {
  repo = new TestRepo();
  repo.commit('start', { 'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n', 'src/lib.rs': lib(`${TWO}    // # kind: edge is not read: it is inside a // comment only as text after #\n`) });
  expect((await repo.check('test-coverage-3-class')).pass).toBe(false);
  repo.commit('marker', { 'src/lib.rs': lib(`${TWO}    // kind: edge\n    #[test]\n    fn area_square() { assert_eq!(area(3, 3), 9); }\n`) });
  expect(await repo.check('test-coverage-3-class')).toEqual({ pass: true, report: 'coverage-3-class: happy, edge and sad covered across 1 test file(s)' });
});

test('Go: the hint says "// kind:", and the marker in a _test.go file counts', async () => {
  repo = new TestRepo();
  const goTest = (extra: string) => `package calc\n\nimport "testing"\n\nfunc TestAddOk(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("sum")\n\t}\n}\n\nfunc TestAddInvalidError(t *testing.T) {}\n${extra}`;
  repo.commit('start', { 'go.mod': 'module example.com/calc\n\ngo 1.22\n', 'calc.go': 'package calc\n\nfunc Add(a, b int) int { return a + b }\n', 'calc_test.go': goTest('') });
  expect(await repo.check('test-coverage-3-class')).toEqual({ pass: false, report: 'coverage-3-class: 1 test file(s); no edge test found (name tests for what they prove, or add "// kind: edge")' });
  repo.commit('marker', { 'calc_test.go': goTest('\n// kind: edge\nfunc TestAddNegative(t *testing.T) {}\n') });
  expect((await repo.check('test-coverage-3-class')).pass).toBe(true);
});

test('Python keeps "#": the hint says "# kind:", and a mixed Python and Go suite names both', async () => {
  repo = new TestRepo();
  repo.commit('start', { 'tests/test_calc.py': 'def test_add_ok():\n    assert 1 + 2 == 3\n' });
  expect((await repo.check('test-coverage-3-class')).report).toContain('or add "# kind: edge, sad")');
  repo.commit('go', { 'calc_test.go': 'package calc\n\nimport "testing"\n\nfunc TestAddOk(t *testing.T) {}\n' });
  expect((await repo.check('test-coverage-3-class')).report).toContain('or add "// kind: edge, sad" or "# kind: edge, sad" (# in Python files, // in the others)');
  repo.commit('markers', { 'tests/test_calc.py': 'def test_add_ok():\n    assert 1 + 2 == 3\n\n# kind: edge\ndef test_add_zero():\n    pass\n', 'calc_test.go': 'package calc\n\nimport "testing"\n\nfunc TestAddOk(t *testing.T) {}\n\n// kind: sad\nfunc TestAddOverflow(t *testing.T) {}\n' });
  expect((await repo.check('test-coverage-3-class')).pass).toBe(true);
});
