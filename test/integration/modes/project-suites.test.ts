/**
 * The audit checks that run the project's own tools, on a small real project per language:
 * no-prior-regression (a test already failing at the run's start is tolerated; a test that passed
 * then and fails now, or a new failing test, holds the gate), lint-clean and type-clean.
 * Real pytest, node --test, cargo and go; each project is committed and tagged like `peers init` does.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { TestRepo, type Files } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

type Lang = 'python' | 'js' | 'rust' | 'go';
type Project = {
  start: Files;
  /** A change that keeps every old test as it was. */
  harmless: Files;
  /** Breaks a test that passed at the start. */
  regress: Files;
  /** Adds a test that fails. */
  newFailing: Files;
  passingId: string;
  newId: string;
};

const PROJECTS: Record<Lang, Project> = {
  python: {
    start: {
      'pyproject.toml': '[project]\nname = "calc"\nversion = "0.1.0"\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n',
      'src/calc.py': 'def add(a, b):\n    return a + b\n\ndef div(a, b):\n    return a / b\n',
      'tests/test_calc.py': 'from calc import add, div\n\ndef test_add_ok():\n    assert add(1, 2) == 3\n\ndef test_div_by_zero_is_zero():\n    assert div(1, 0) == 0\n',
    },
    harmless: { 'src/calc.py': 'def add(a, b):\n    return a + b\n\ndef div(a, b):\n    return a / b\n\ndef sub(a, b):\n    return a - b\n' },
    regress: { 'src/calc.py': 'def add(a, b):\n    return a - b\n\ndef div(a, b):\n    return a / b\n' },
    newFailing: { 'tests/test_more.py': 'from calc import add\n\ndef test_add_three():\n    assert add(1, 1) == 3\n' },
    passingId: 'tests.test_calc::test_add_ok',
    newId: 'tests.test_more::test_add_three',
  },
  js: {
    start: {
      'package.json': '{"name":"calc","version":"1.0.0","type":"module","scripts":{"test":"node --test"}}\n',
      'src/calc.js': 'export const add = (a, b) => a + b;\nexport const div = (a, b) => a / b;\n',
      'test/calc.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { add, div } from '../src/calc.js';\ntest('add ok', () => assert.equal(add(1, 2), 3));\ntest('div by zero throws', () => assert.throws(() => div(1, 0)));\n",
    },
    harmless: { 'src/calc.js': 'export const add = (a, b) => a + b;\nexport const div = (a, b) => a / b;\nexport const sub = (a, b) => a - b;\n' },
    regress: { 'src/calc.js': 'export const add = (a, b) => a - b;\nexport const div = (a, b) => a / b;\n' },
    newFailing: { 'test/more.test.js': "import test from 'node:test';\nimport assert from 'node:assert';\nimport { add } from '../src/calc.js';\ntest('adds three', () => assert.equal(add(1, 1), 3));\n" },
    passingId: 'test/calc.test.js > add ok',
    newId: 'test/more.test.js > adds three',
  },
  rust: {
    start: {
      'Cargo.toml': '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n',
      '.gitignore': 'target/\n',
      'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 { a + b }\npub fn div(a: i32, b: i32) -> i32 { if b == 0 { 1 } else { a / b } }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn add_ok() { assert_eq!(add(1, 2), 3); }\n    #[test]\n    fn div_by_zero_is_zero() { assert_eq!(div(1, 0), 0); }\n}\n',
    },
    harmless: { 'src/extra.rs': 'pub fn sub(a: i32, b: i32) -> i32 { a - b }\n' },
    regress: { 'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 { a - b }\npub fn div(a: i32, b: i32) -> i32 { if b == 0 { 1 } else { a / b } }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn add_ok() { assert_eq!(add(1, 2), 3); }\n    #[test]\n    fn div_by_zero_is_zero() { assert_eq!(div(1, 0), 0); }\n}\n' },
    newFailing: { 'tests/more.rs': '#[test]\nfn adds_three() { assert_eq!(calc::add(1, 1), 3); }\n' },
    passingId: 'src/lib.rs::tests::add_ok',
    newId: 'tests/more.rs::adds_three',
  },
  go: {
    start: {
      'go.mod': 'module example.com/calc\n\ngo 1.19\n',
      'calc.go': 'package calc\n\nfunc Add(a, b int) int { return a + b }\n\nfunc Div(a, b int) int {\n\tif b == 0 {\n\t\treturn 1\n\t}\n\treturn a / b\n}\n',
      'calc_test.go': 'package calc\n\nimport "testing"\n\nfunc TestAddOk(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("1+2")\n\t}\n}\n\nfunc TestDivByZeroIsZero(t *testing.T) {\n\tif Div(1, 0) != 0 {\n\t\tt.Fatal("1/0")\n\t}\n}\n',
    },
    harmless: { 'sub.go': 'package calc\n\nfunc Sub(a, b int) int { return a - b }\n' },
    regress: { 'calc.go': 'package calc\n\nfunc Add(a, b int) int { return a - b }\n\nfunc Div(a, b int) int {\n\tif b == 0 {\n\t\treturn 1\n\t}\n\treturn a / b\n}\n' },
    newFailing: { 'more_test.go': 'package calc\n\nimport "testing"\n\nfunc TestAddThree(t *testing.T) {\n\tif Add(1, 1) != 3 {\n\t\tt.Fatal("1+1")\n\t}\n}\n' },
    passingId: 'example.com/calc.TestAddOk',
    newId: 'example.com/calc.TestAddThree',
  },
};

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const AVAILABLE: Record<Lang, boolean> = { python: have('python3') && spawnSync('python3', ['-c', 'import pytest']).status === 0, js: have('node'), rust: have('cargo'), go: have('go') };

describe('no-prior-regression', () => {
  for (const lang of Object.keys(PROJECTS) as Lang[]) {
    // Without the toolchain the project cannot be run at all; test/apt-packages.txt installs them.
    test.skipIf(!AVAILABLE[lang])(`${lang}: a test failing at the run's start is tolerated; a regression and a new failing test hold the gate`, async () => {
      const p = PROJECTS[lang];
      repo = new TestRepo(`peers-npr-${lang}-`);
      repo.commit('start: one test already fails', p.start);
      repo.baseline();
      let r = await repo.check('no-prior-regression', { lang });
      expect(r.report).toContain("HEAD is the run's start, so its 1 failing test(s) are all pre-existing");
      expect(r.pass).toBe(true);

      repo.commitAs('alice', 'harmless change', p.harmless);
      r = await repo.check('no-prior-regression', { lang });
      expect(r.report).toContain("1 failing test(s), all already failing at the run's start");
      expect(r.pass).toBe(true);

      const clean = repo.dir;
      repo.commitAs('alice', 'regress', p.regress);
      repo.commitAs('alice', 'new failing test', p.newFailing);
      r = await repo.check('no-prior-regression', { lang });
      expect(r.pass).toBe(false);
      expect(r.report).toContain(`  ${p.passingId}  (passed at the run's start)`);
      expect(r.report).toContain(`  ${p.newId}  (new since the run began)`);
      expect(clean).toBe(repo.dir);
    }, 240_000);
  }
});

describe('lint-clean and type-clean run the project\'s own tools', () => {
  test('JS: the lint script decides; a project without a linter fails closed, saying what to configure', async () => {
    repo = new TestRepo();
    repo.commit('start', { 'package.json': '{"name":"x","scripts":{"test":"node --test","lint":"node lint.js"}}\n', 'lint.js': "const fs = require('fs');\nif (fs.readFileSync('src/a.js', 'utf8').includes('var ')) { console.error('src/a.js: no var'); process.exit(1); }\n", 'src/a.js': 'var x = 1;\n' });
    let r = await repo.check('lint-clean', { lang: 'js' });
    expect(r.pass).toBe(false);
    expect(r.report).toContain('lint-clean: `npm run lint` (from package.json scripts.lint) exited 1');
    expect(r.report).toContain('src/a.js: no var');
    repo.commit('fix', { 'src/a.js': 'const x = 1;\n' });
    expect((await repo.check('lint-clean', { lang: 'js' })).pass).toBe(true);
    r = await repo.check('type-clean', { lang: 'js' });
    expect(r.report).toBe('type-clean: no type checker configured for this js project; configure a "typecheck" script in package.json, or jsconfig.json with checkJs, or remove this goal');
  });

  test.skipIf(!AVAILABLE.rust)('Rust: clippy warnings fail lint-clean; a type error fails type-clean', async () => {
    repo = new TestRepo('peers-lint-rust-');
    repo.commit('start', { 'Cargo.toml': '[package]\nname = "lints"\nversion = "0.1.0"\nedition = "2021"\n', '.gitignore': 'target/\n', 'src/lib.rs': 'pub fn twice(x: &Vec<i32>) -> usize { x.len() * 2 }\n' });
    const lint = await repo.check('lint-clean', { lang: 'rust' });
    expect(lint.pass).toBe(false);
    expect(lint.report).toContain('cargo clippy');
    expect(lint.report).toMatch(/ptr_arg|&Vec/);
    expect((await repo.check('type-clean', { lang: 'rust' })).pass).toBe(true);
    repo.commit('break', { 'src/lib.rs': 'pub fn twice(x: &[i32]) -> usize { x.len() * "2" }\n' });
    expect((await repo.check('type-clean', { lang: 'rust' })).pass).toBe(false);
  }, 240_000);

  test.skipIf(!AVAILABLE.go)('Go: go vet findings fail lint-clean; go build errors fail type-clean', async () => {
    repo = new TestRepo('peers-lint-go-');
    repo.commit('start', { 'go.mod': 'module example.com/v\n\ngo 1.19\n', 'v.go': 'package v\n\nimport "fmt"\n\nfunc Say(n int) string { return fmt.Sprintf("%s", n) }\n' });
    const lint = await repo.check('lint-clean', { lang: 'go' });
    expect(lint.pass).toBe(false);
    expect(lint.report).toContain('go vet ./...');
    expect(lint.report).toContain('%s');
    expect((await repo.check('type-clean', { lang: 'go' })).pass).toBe(true);
    repo.commit('break', { 'v.go': 'package v\n\nfunc Say(n int) string { return n }\n' });
    expect((await repo.check('type-clean', { lang: 'go' })).pass).toBe(false);
  }, 240_000);
});
