/**
 * A fresh HOME, TMPDIR and XDG dirs for every gate run (and for `setup`), removed afterwards: a gate
 * whose committed code writes `~/.npmrc`, a git config or a cache entry changes nothing for the
 * gates after it. Only `setup` keeps the dependency cache (`depCache`): its install downloads are
 * what the cache is for, and no gate command ever gets a writable path to it.
 * They are made on a tmpfs when one is at hand (src/proc/tmpfs-scratch.ts): seven directories made
 * and removed per gate run cost real CPU on a disk filesystem, next to nothing there.
 *
 * `peers` on PATH (so `peers check <id>` gates run this very peers) is a shim of the run's own, first
 * on PATH: a gate runs as the user who made the shim and can rewrite the one on its PATH, and with one
 * shim per process a suite that wrote `exit 0` into it made every later `peers check` gate pass, in
 * the gates runner for the rest of the run (SECURITY.md, "Each gate starts from the state right
 * after setup").
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { madeSelfBinDir, writeSelfShim } from '../proc/self-exec.ts';
import { gatePath } from './gate-path.ts';
import { smallScratchParent } from '../proc/tmpfs-scratch.ts';
import { removeTree } from '../fs/remove-tree.ts';

/** Variables that point a tool at per-user state; each is replaced by a fresh directory. */
const SCRATCH_DIRS = { HOME: 'home', TMPDIR: 'tmp', XDG_CONFIG_HOME: 'config', XDG_CACHE_HOME: 'cache', XDG_DATA_HOME: 'data', XDG_STATE_HOME: 'state' } as const;
/** Dependency caches setup may use: set to the shared cache for setup, removed for gates. */
const CACHE_VARS = ['npm_config_cache', 'PIP_CACHE_DIR', 'YARN_CACHE_FOLDER', 'GOMODCACHE', 'PEERS_DEP_CACHE'];

/**
 * Toolchain managers whose shims (`~/.cargo/bin/cargo`, pyenv's `python3`) find the installed
 * toolchains under HOME when their variable is unset (rustup's installer sets none): with the
 * fresh HOME a gate on the host failed with "rustup could not choose a version of cargo". Each
 * keeps pointing at the user's own installs; nothing of the run's is cached there.
 */
const TOOLCHAIN_HOMES = { RUSTUP_HOME: '.rustup', PYENV_ROOT: '.pyenv', VOLTA_HOME: '.volta', ASDF_DATA_DIR: '.asdf' } as const;

/**
 * The git identity of the fresh HOME: a suite that makes a repository and commits in it (common in
 * developer tools) passed under the user's own identity and failed in every gate with "Please tell
 * me who you are" (the pod has none, and the fresh HOME hides the user's), so the peers spent the
 * run "fixing" a test that was fine. As global configuration, a test's own `git config user.name`
 * still wins; the user's git identity is not copied in, as nothing of theirs is.
 */
const GATE_GITCONFIG = '[user]\n\tname = peers gate\n\temail = gate@peers.invalid\n';

export type ScratchEnv = { env: Record<string, string>; cleanup: () => void };

/**
 * `depCache`: for setup only, the dependency cache directory (the pod's cache volume, or a
 * directory in the host loop's state dir). Gates never get one.
 */
export function scratchEnv(base: Record<string, string>, opts: { depCache?: string } = {}): ScratchEnv {
  const root = makeScratchDir('peers-gate-env-', smallScratchParent());
  const env: Record<string, string> = { ...base };
  for (const k of CACHE_VARS) delete env[k];
  for (const [k, sub] of Object.entries(TOOLCHAIN_HOMES)) {
    if (!env[k] && base.HOME && existsSync(join(base.HOME, sub))) env[k] = join(base.HOME, sub);
  }
  for (const [k, sub] of Object.entries(SCRATCH_DIRS)) {
    const dir = join(root, sub);
    mkdirSync(dir, { mode: 0o700 });
    env[k] = dir;
  }
  writeFileSync(join(env.HOME!, '.gitconfig'), GATE_GITCONFIG, { mode: 0o600 });
  const bin = join(root, 'bin');
  mkdirSync(bin, { mode: 0o700 });
  writeSelfShim(bin);
  const processShim = madeSelfBinDir();
  env.PATH = gatePath(bin, base.PATH, processShim);
  if (opts.depCache) {
    const c = opts.depCache;
    Object.assign(env, { XDG_CACHE_HOME: join(c, 'xdg'), npm_config_cache: join(c, 'npm'), PIP_CACHE_DIR: join(c, 'pip'), YARN_CACHE_FOLDER: join(c, 'yarn'), GOMODCACHE: join(c, 'go-mod'), PEERS_DEP_CACHE: c });
  }
  // The gate's HOME and TMPDIR: what it locked there goes too (src/fs/remove-tree.ts).
  return { env, cleanup: () => removeTree(root) };
}

export async function withScratchEnv<T>(base: Record<string, string>, opts: { depCache?: string }, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const s = scratchEnv(base, opts);
  try {
    return await fn(s.env);
  } finally {
    s.cleanup();
  }
}
