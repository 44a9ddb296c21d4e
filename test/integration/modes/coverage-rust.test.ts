/** tests-cover-happy-edge-sad on Rust, whose unit tests live beside the code in src/. */
import { afterEach, expect, test } from 'bun:test';
import { TestRepo } from './repo-fixture.ts';

let repo: TestRepo;
afterEach(() => repo?.cleanup());

test('Rust unit tests in src/ count; a missing class is named', async () => {
  repo = new TestRepo();
  const lib = (tests: string) => `pub fn area(w: u32, h: u32) -> u32 { w * h }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n${tests}}\n`;
  repo.commit('start', { 'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n', 'src/lib.rs': lib('    #[test]\n    fn area_ok() { assert_eq!(area(1, 2), 2); }\n    #[test]\n    fn area_invalid_error() { assert_eq!(area(0, 2), 0); }\n'), 'src/other.rs': 'pub fn not_a_test() {}\n' });
  let r = await repo.check('test-coverage-3-class');
  expect(r).toEqual({ pass: false, report: 'coverage-3-class: 1 test file(s); no edge test found (name tests for what they prove, or add "# kind: edge")' });
  repo.commit('edge', { 'src/lib.rs': lib('    #[test]\n    fn area_ok() { assert_eq!(area(1, 2), 2); }\n    #[test]\n    fn area_invalid_error() { assert_eq!(area(0, 2), 0); }\n    #[test]\n    fn area_max_edge() { assert_eq!(area(u16::MAX as u32, 1), 65535); }\n') });
  r = await repo.check('test-coverage-3-class');
  expect(r.pass).toBe(true);
});
