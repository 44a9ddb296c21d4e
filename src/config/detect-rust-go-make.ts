/**
 * Rust, Go and Makefile projects as `peers init` proposes them (detect-project.ts): toolchains the
 * workspace image lacks, so each proposal carries a note of what makes its gate pass in a run.
 */
import { imageFix, TEST_TIMEOUT_S, type Found, type ProjectFiles } from './detected-ecosystem.ts';

export function detectRust(files: ProjectFiles): Found | undefined {
  if (!files.exists('Cargo.toml')) return undefined;
  return {
    kind: 'rust',
    // Each test binary (doc-tests too) prints "test result: ok. N passed"; at least one must have run tests.
    tests: { description: 'The test suite passes (cargo test).', cmd: 'cargo test', pass_when: 'exit_code == 0 and regex("test result: ok[.] [1-9][0-9]* passed", stdout) != None and "test result: FAILED" not in stdout', timeout_s: 1800, cacheable: true, why: 'Cargo.toml' },
    extra: [],
    setup: files.exists('Cargo.lock') ? 'cargo fetch --locked' : 'cargo fetch',
    egress: ['crates.io', 'index.crates.io', 'static.crates.io'],
    notes: [`the workspace image has no Rust toolchain, so this gate fails in a run: ${imageFix('cargo')}`],
  };
}

export function detectGo(files: ProjectFiles): Found | undefined {
  if (!files.exists('go.mod')) return undefined;
  return {
    kind: 'go',
    // -v: a `--- PASS: TestX` line per test that ran. Without it go prints only `ok  <pkg>`, also when
    // the package's code ends the test binary before any test (`os.Exit(0)` in an init), and names no
    // count, so fewer tests running would go unseen (src/protocol/tests-run.ts).
    tests: { description: 'The test suite passes (go test -v).', cmd: 'go test -v ./...', pass_when: 'exit_code == 0 and regex("(?m)^--- PASS: ", stdout) != None', timeout_s: 1800, cacheable: true, why: 'go.mod' },
    extra: [],
    setup: files.exists('go.sum') ? 'go mod download' : undefined,
    egress: files.exists('go.sum') ? ['proxy.golang.org', 'sum.golang.org'] : [],
    notes: [`the workspace image has no Go toolchain, so this gate fails in a run: ${imageFix('go')}`],
  };
}

/**
 * A Makefile with a `test` or `check` target, for a project no other detector recognised (a C
 * project): the target is the suite. Make's exit code is all there is to judge; the image has
 * neither make nor a C compiler, which the note says.
 */
export function detectMake(files: ProjectFiles): Found | undefined {
  const makefile = ['GNUmakefile', 'makefile', 'Makefile'].find((n) => files.exists(n));
  const text = makefile ? (files.read(makefile) ?? '') : '';
  const target = ['test', 'check'].find((t) => new RegExp(`^${t}\\s*:(?!=)`, 'm').test(text));
  if (!makefile || !target) return undefined;
  return {
    kind: 'make',
    tests: { description: `The test suite passes (make ${target}).`, cmd: `make ${target}`, pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: `${makefile} target ${target}` },
    extra: [],
    egress: [],
    notes: [`the workspace image has no make and no C compiler, so this gate fails in a run: ${imageFix('make and cc')}; its pass_when is the exit code alone: tighten it to your suite's summary line`],
  };
}
