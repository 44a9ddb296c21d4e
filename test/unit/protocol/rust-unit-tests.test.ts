import { expect, test } from 'bun:test';
import { isTestOnlyFile, testModuleFiles, withStartTests } from '../../../src/protocol/rust-unit-tests.ts';

const START = `pub fn add(a: i64, b: i64) -> i64 {
    a - b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_two_numbers() {
        assert_eq!(add(2, 3), 5);
    }
}
`;

const startTests = START.slice(START.indexOf('#[cfg(test)]')).trim();

test("a local add() the run put in the crate's test module is undone: the product's own add() is what the start's tests call", () => {
  const head = START.replace('    use super::*;\n', '    use super::*;\n\n    fn add(a: i64, b: i64) -> i64 {\n        a + b\n    }\n');
  const cf = withStartTests(head, START);
  expect(cf).toContain('    a - b\n');
  expect(cf).not.toContain('a + b');
  expect(cf).toContain(startTests);
});

test('product code compiled only under test is test code: `#[cfg(test)] pub fn add` beside `#[cfg(not(test))]` is removed', () => {
  const head = START.replace('pub fn add', '#[cfg(not(test))]\npub fn add') + '\n#[cfg(test)]\npub fn add(a: i64, b: i64) -> i64 { a + b }\n';
  const cf = withStartTests(head, START);
  expect(cf).not.toContain('a + b');
  expect(cf).toContain('#[cfg(not(test))]\npub fn add');
});

test('#[test], #[tokio::test] and cfg(all(test, …)) items are test code; cfg(any(test, …)) and a cfg_attr loading another file are held when changed', () => {
  const head = `${START}\n#[test]\nfn extra() {}\n\n#[tokio::test]\nasync fn extra2() {}\n\n#[cfg(all(test, feature = "x"))]\nmod more {}\n`;
  const cf = withStartTests(head, START);
  expect(cf).not.toMatch(/extra|mod more/);
  expect(cf.split('mod tests').length).toBe(2);
  expect(() => withStartTests(START.replace('pub fn add', '#[cfg(any(test, feature = "fast"))]\npub fn add'), START)).toThrow('compiled differently under test');
  expect(() => withStartTests(`#[cfg_attr(test, path = "fixed.rs")]\nmod imp;\n${START}`, START)).toThrow('compiled differently under test');
  // Lints and derives under test change no behaviour a test reads.
  const lint = `#[cfg_attr(test, allow(dead_code))]\nfn helper() {}\n${START}`;
  expect(withStartTests(lint, START)).toContain('fn helper');
});

test('an honest fix keeps its product change and its new tests give way to the start ones', () => {
  const head = START.replace('a - b', 'a + b').replace('    #[test]\n    fn adds_two', '    #[test]\n    fn adds_negatives() {\n        assert_eq!(add(-2, -3), -5);\n    }\n\n    #[test]\n    fn adds_two');
  const cf = withStartTests(head, START);
  expect(cf).toContain('    a + b\n');
  expect(cf).not.toContain('adds_negatives');
  expect(cf).toContain(startTests);
  // Nothing changed in the tests: the same text.
  expect(withStartTests(START.replace('a - b', 'a + b'), START)).toBe(START.replace('a - b', 'a + b'));
});

test('tests in an inline module, impl or trait go back to their own scope; a test module the run added is removed', () => {
  const start = `pub mod ops {\n    pub fn add(a: i64, b: i64) -> i64 { a - b }\n\n    #[cfg(test)]\n    mod tests {\n        #[test]\n        fn t() { assert_eq!(super::add(2, 3), 5); }\n    }\n}\n`;
  const head = start.replace('fn t() { assert_eq!(super::add(2, 3), 5); }', 'fn t() { assert_eq!(super::add(2, 3), -1); }') + '\n#[cfg(test)]\nmod planted {}\n';
  const cf = withStartTests(head, start);
  expect(cf).toContain('assert_eq!(super::add(2, 3), 5)');
  expect(cf).not.toContain('-1');
  expect(cf).not.toContain('planted');
  expect(cf.indexOf('mod tests')).toBeLessThan(cf.lastIndexOf('}'));
  expect(cf.indexOf('mod tests')).toBeGreaterThan(cf.indexOf('pub mod ops'));
});

test('a cfg(test) statement inside a function body cannot be undone: it is refused (the caller holds)', () => {
  const head = START.replace('    a - b\n', '    #[cfg(test)]\n    return a + b;\n    a - b\n');
  expect(() => withStartTests(head, START)).toThrow('inside `pub fn add');
});

test('braces in strings, raw strings, chars, comments and lifetimes do not split items', () => {
  const start = `const A: &str = "}{";\nconst B: &str = r#"}"{"#;\nconst C: char = '}';\n/* } { /* nested } */ */\n// }\nfn f<'a>(x: &'a str) -> &'a str { x }\n${START}`;
  const head = start.replace('assert_eq!(add(2, 3), 5)', 'assert_eq!(add(2, 3), -1)');
  const cf = withStartTests(head, start);
  expect(cf).toContain('assert_eq!(add(2, 3), 5)');
  expect(cf).toContain('const B: &str = r#"}"{"#;');
  expect(() => withStartTests('fn f() {\n', START)).toThrow();
});

test('a test module declared by a file names the files rustc reads it from; #![cfg(test)] makes a file test code', () => {
  expect(testModuleFiles('src/lib.rs', '#[cfg(test)]\nmod tests;\npub mod ops;\n')).toEqual({ files: ['src/tests.rs', 'src/tests/mod.rs'], dirs: ['src/tests'] });
  expect(testModuleFiles('src/ops.rs', '#[cfg(test)]\nmod checks;\n')).toEqual({ files: ['src/ops/checks.rs', 'src/ops/checks/mod.rs'], dirs: ['src/ops/checks'] });
  expect(testModuleFiles('src/lib.rs', '#[cfg(test)]\n#[path = "calc_tests.rs"]\nmod tests;\n').files).toEqual(['src/calc_tests.rs']);
  expect(testModuleFiles('src/lib.rs', 'pub mod ops;\n')).toEqual({ files: [], dirs: [] });
  expect(isTestOnlyFile('#![cfg(test)]\nuse super::*;\n')).toBe(true);
  expect(isTestOnlyFile(START)).toBe(false);
});
