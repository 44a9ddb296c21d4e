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
    setup: cargoVendorSetup(files),
    egress: ['crates.io', 'index.crates.io', 'static.crates.io'],
    notes: [`the workspace image has no Rust toolchain, so this gate fails in a run: ${imageFix('cargo')}`, ...(cargoVendorSetup(files) && files.exists('.cargo/config') ? [LEGACY_CARGO_CONFIG_NOTE] : [])],
  };
}

/**
 * The crates go into the checkout (`cargo vendor`), and cargo is pointed at them there: the gates
 * run with a fresh HOME and no network, so what `cargo fetch` put in a CARGO_HOME the gates do not
 * share was not there. Into a directory of peers' own (`cargo vendor` empties the one it fills; a
 * project's own vendor/ may hold other code), with the source replacement it prints written to the
 * config cargo reads. The gates read the commit's files whatever setup changed of them
 * (src/gates/checkout-git-dir.ts), so the replacement goes into a file the project does not commit:
 * `.cargo/config.toml` when it has no cargo config, else `.cargo/config`, a copy of its
 * `config.toml` (cargo reads `config` alone when both are there). A project that commits the old
 * name `.cargo/config` has no such file: its setup still appends there, and init says to rename it.
 * A project whose cargo config names its own sources (vendored already, a mirror) is left as it is.
 */
function cargoVendorSetup(files: ProjectFiles): string | undefined {
  const legacy = files.exists('.cargo/config');
  const config = legacy ? '.cargo/config' : '.cargo/config.toml';
  if (/^\s*\[\s*source[.\]\s]/m.test(files.read(config) ?? '')) return undefined;
  const vendor = `cargo vendor${files.exists('Cargo.lock') ? ' --locked' : ''} ${CARGO_VENDOR_DIR}`;
  if (legacy) return `${vendor} >> .cargo/config`;
  if (files.exists('.cargo/config.toml')) return `cp .cargo/config.toml .cargo/config && ${vendor} >> .cargo/config`;
  return `mkdir -p .cargo && ${vendor} >> .cargo/config.toml`;
}

const LEGACY_CARGO_CONFIG_NOTE =
  "`.cargo/config` is committed under cargo's old name: setup appends the vendored crates' source to it, but the gates read the committed file, so `cargo test` finds no crates offline; rename it (`git mv .cargo/config .cargo/config.toml`) and change setup to `cp .cargo/config.toml .cargo/config && cargo vendor .peers-vendor >> .cargo/config`";

/** Where setup vendors a Rust project's crates, in the gates' checkout. */
export const CARGO_VENDOR_DIR = '.peers-vendor';

export function detectGo(files: ProjectFiles): Found | undefined {
  if (!files.exists('go.mod')) return undefined;
  return {
    kind: 'go',
    // -v: a `--- PASS: TestX` line per test that ran. Without it go prints only `ok  <pkg>`, also when
    // the package's code ends the test binary before any test (`os.Exit(0)` in an init), and names no
    // count, so fewer tests running would go unseen (src/protocol/tests-run.ts).
    tests: { description: 'The test suite passes (go test -v).', cmd: 'go test -v ./...', pass_when: 'exit_code == 0 and regex("(?m)^--- PASS: ", stdout) != None', timeout_s: 1800, cacheable: true, why: 'go.mod' },
    extra: [],
    // The modules go into the checkout's vendor/ (which `go test` then builds from), not the module
    // cache: the gates run with a fresh HOME and no network, so what `go mod download` put in a
    // cache the gates do not share was not there, and every gate failed looking the modules up.
    // A project that commits vendor/ needs nothing.
    setup: files.exists('go.sum') && !files.exists('vendor/modules.txt') ? 'go mod vendor' : undefined,
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
