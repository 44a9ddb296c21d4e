/**
 * Which JavaScript package manager a project uses, and how it runs a package.json script. One
 * rule for `peers init`'s proposed gates and for the mode checks' lint and type-check commands:
 * the `packageManager` field wins, else the lockfile present, else npm.
 */
export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';
const KNOWN: readonly string[] = ['npm', 'pnpm', 'yarn', 'bun'];

/** `files`: what the project holds (detect-project.ts's ProjectFiles fits). */
export function packageManagerOf(pkg: Record<string, unknown>, files: { exists(path: string): boolean }): PackageManager {
  const declared = typeof pkg.packageManager === 'string' ? pkg.packageManager.split('@')[0] : undefined;
  if (declared && KNOWN.includes(declared)) return declared as PackageManager;
  if (files.exists('pnpm-lock.yaml')) return 'pnpm';
  if (files.exists('yarn.lock')) return 'yarn';
  if (files.exists('bun.lock') || files.exists('bun.lockb')) return 'bun';
  return 'npm';
}

/** The shell command that runs `script` from package.json with `pm`. */
export function scriptCommand(pm: PackageManager, script: string): string {
  if (script === 'test') return pm === 'bun' ? 'bun run test' : `${pm} test`;
  return `${pm} run ${script}`;
}
