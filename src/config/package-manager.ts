/**
 * Which JavaScript package manager a project uses, and how it runs a package.json script. One
 * rule for `peers init`'s proposed gates and for the mode checks' lint and type-check commands:
 * the `packageManager` field wins, else the lockfile present, else npm.
 *
 * The workspace image has node and npm only (Containerfile). A pnpm or yarn project gets that
 * package manager from its own `setup`: npm installs the pinned version into `PM_DIR` in the
 * checkout (through the egress allow-list, registry.npmjs.org), and every command that runs it
 * puts that directory first on PATH, so the gates (which start from the checkout as setup left
 * it, with no network) find it, and so does a script that calls `pnpm -r` itself.
 */
export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';
const KNOWN: readonly string[] = ['npm', 'pnpm', 'yarn', 'bun'];

type Files = { exists(path: string): boolean; read?(path: string): string | undefined };

/**
 * Where setup installs pnpm or yarn in the checkout: inside node_modules, which the project's
 * .gitignore, test runners, linters and tsc already leave alone, which pnpm and yarn keep across
 * an install, and which a peer may create in its workspace (where `.peers/` is masked).
 */
export const PM_DIR = 'node_modules/.peers-pm';
const PM_BIN = `${PM_DIR}/node_modules/.bin`;
/** Prefix of a command that runs the package manager setup installed (falls back to one on PATH). */
const ON_PATH = `PATH="$PWD/${PM_BIN}:$PATH"`;

/** `files`: what the project holds (detect-project.ts's ProjectFiles fits). */
export function packageManagerOf(pkg: Record<string, unknown>, files: Files): PackageManager {
  const declared = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  if (declared && KNOWN.includes(declared)) return declared as PackageManager;
  if (files.exists('pnpm-lock.yaml')) return 'pnpm';
  if (files.exists('yarn.lock')) return 'yarn';
  if (files.exists('bun.lock') || files.exists('bun.lockb')) return 'bun';
  return 'npm';
}

/** Yarn 2+ ("berry"): a declared version of 2 or more, else a `.yarnrc.yml` or a berry lockfile. */
export function isYarnBerry(pkg: Record<string, unknown>, files: Files): boolean {
  const v = declaredVersion(pkg, 'yarn');
  if (v) return !v.startsWith('1.');
  return files.exists('.yarnrc.yml') || /^__metadata:/m.test(files.read?.('yarn.lock') ?? '');
}

function declaredVersion(pkg: Record<string, unknown>, pm: string): string | undefined {
  if (typeof pkg.packageManager !== 'string') return undefined;
  const m = /^([a-z]+)@(\d+\.\d+\.\d+[\w.-]*)/.exec(pkg.packageManager);
  return m && m[1] === pm ? m[2] : undefined;
}

/**
 * The npm package (name@version) that provides `pm` for this project: the `packageManager`
 * field's exact version, else the major the lockfile was written by.
 */
export function pmPackage(pm: 'pnpm' | 'yarn', pkg: Record<string, unknown>, files: Files): string {
  const v = declaredVersion(pkg, pm);
  if (pm === 'pnpm') {
    if (v) return `pnpm@${v}`;
    const lockVersion = /^lockfileVersion:\s*'?(\d+)/m.exec(files.read?.('pnpm-lock.yaml') ?? '')?.[1];
    return `pnpm@${lockVersion === '5' ? 7 : lockVersion === '6' ? 8 : 9}`;
  }
  if (isYarnBerry(pkg, files)) return `@yarnpkg/cli-dist@${v ?? 4}`;
  return `yarn@${v ?? 1}`;
}

/** The environment yarn 2+ runs with: its cache in the checkout, where the gates' copy of it finds the packages. */
const BERRY_ENV = 'YARN_ENABLE_GLOBAL_CACHE=false YARN_CACHE_FOLDER="$PWD/.yarn/cache"';

/** The setup line: npm installs `pm` into PM_DIR, then it installs the project's dependencies. */
export function pmSetupCommand(pm: 'pnpm' | 'yarn', pkg: Record<string, unknown>, files: Files): string {
  const install = `npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix ${PM_DIR} ${pmPackage(pm, pkg, files)}`;
  if (pm === 'pnpm') return `${install} && ${ON_PATH} pnpm install --frozen-lockfile`;
  if (isYarnBerry(pkg, files)) return `${install} && ${ON_PATH} ${BERRY_ENV} yarn install --immutable`;
  return `${install} && ${ON_PATH} yarn install --frozen-lockfile`;
}

/** The shell command that runs `script` from package.json with `pm`. */
export function scriptCommand(pm: PackageManager, script: string, berry = false): string {
  const run = script === 'test' ? (pm === 'bun' ? 'bun run test' : `${pm} test`) : `${pm} run ${script}`;
  if (pm === 'pnpm' || pm === 'yarn') return `${ON_PATH} ${berry ? `${BERRY_ENV} ` : ''}${run}`;
  return run;
}
