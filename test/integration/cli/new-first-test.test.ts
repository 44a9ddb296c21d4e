/**
 * `peers new NAME --lang rust|go`: the skeleton holds no test and an empty suite never passes, so
 * the first gate is red at once, in every language. The output says so plainly, beside "peers
 * verify", and the advice holds: the real toolchain's `peers verify` fails on tests-pass alone,
 * and passes once the project has its first test.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
// rustup's cargo finds its toolchain through RUSTUP_HOME (else ~/.rustup: the sandbox's HOME has none).
const HOME = process.env.HOME ?? '';
const toolchainEnv = { ...sb.env, RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(HOME, '.rustup'), CARGO_HOME: process.env.CARGO_HOME ?? join(HOME, '.cargo') };
afterAll(() => sb.cleanup());

const FIRST_TEST: Record<'rust' | 'go', Record<string, string>> = {
  rust: { 'src/lib.rs': 'pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::add(1, 2), 3);\n    }\n}\n' },
  go: { 'calc.go': 'package calc\n\nfunc Add(a, b int) int { return a + b }\n', 'calc_test.go': 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal("1+2")\n\t}\n}\n' },
};
const TOOL = { rust: 'cargo', go: 'go' } as const;

describe('a new project\'s first gate', () => {
  for (const lang of ['rust', 'go'] as const) {
    const has = Bun.which(TOOL[lang]) !== null;
    test(`--lang ${lang}: the output says the gate is red until the first test; verify agrees${has ? ', and is green after it' : ` (${TOOL[lang]} is not on PATH: verify not run)`}`, () => {
      const dir = join(sb.root, `new-${lang}`);
      const res = runPeers(['new', `calc${lang}`, dir, '--lang', lang], { cwd: sb.root, env: sb.env });
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain('note: tests-pass (`');
      expect(res.stdout).toContain('is red until the project has its first test, by design: the skeleton has none, and an empty suite never passes');
      expect(res.stdout).toContain('2. peers verify     # run every hard goal once against HEAD (tests-pass is red until the first test: see the note above)');
      if (!has) return;
      let verify = runPeers(['verify'], { cwd: dir, env: toolchainEnv });
      expect(verify.code).toBe(1);
      // Red for the reason said (the suite ran, with no test), not a setup that failed.
      expect(verify.stdout).toMatch(/hard\s+tests-pass\s+FAIL\s+\d+\s+pass_when returned False/);
      for (const [rel, text] of Object.entries(FIRST_TEST[lang])) writeFileSync(join(dir, rel), text);
      gitIn(dir, ['add', '-A']);
      gitIn(dir, ['commit', '-q', '-m', 'first test']);
      verify = runPeers(['verify'], { cwd: dir, env: toolchainEnv });
      expect(verify.stdout).toMatch(/hard\s+tests-pass\s+pass\b/);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    });
  }

  test('--lang js says the same: no language\'s skeleton has a test', () => {
    const res = runPeers(['new', 'calcjs', join(sb.root, 'plain-js'), '--lang', 'js'], { cwd: sb.root, env: sb.env });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('tests-pass (`npm test`) is red until the project has its first test');
  });
});
