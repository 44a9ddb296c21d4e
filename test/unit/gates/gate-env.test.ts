/**
 * A gate's fresh HOME (src/gates/gate-env.ts) keeps the user's toolchain managers reachable: a
 * rustup-installed `cargo` on the host finds its toolchains through RUSTUP_HOME, which rustup's
 * installer leaves unset (default ~/.rustup); with only the fresh HOME, `peers verify` of every
 * such Rust project failed with "rustup could not choose a version of cargo to run".
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { scratchEnv } from '../../../src/gates/gate-env.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);

test("the user's ~/.rustup and ~/.pyenv stay named (RUSTUP_HOME, PYENV_ROOT) under the fresh HOME; a variable already set is kept; an install that is not there is not named", () => {
  const home = tempDir('peers-gate-env-home-');
  mkdirSync(join(home, '.rustup'));
  mkdirSync(join(home, '.pyenv'));
  const s = scratchEnv({ HOME: home, PATH: '/usr/bin', PYENV_ROOT: '/opt/pyenv' });
  try {
    expect(s.env.HOME).not.toBe(home);
    expect(s.env.RUSTUP_HOME).toBe(join(home, '.rustup'));
    expect(s.env.PYENV_ROOT).toBe('/opt/pyenv');
    expect(s.env.VOLTA_HOME).toBeUndefined();
  } finally {
    s.cleanup();
  }
});
