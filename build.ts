/**
 * Compiles the single `peers` executable with `bun build --compile`.
 *
 *   bun build.ts                 dist/peers for this machine (linux-x64 in CI)
 *   bun build.ts --release       also dist/release/peers-<target> for every supported target
 *
 * Templates and mode files are imported as text by the source, so they are embedded in the binary;
 * nothing needs to sit beside it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const RELEASE_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'] as const;

async function compile(target: string | undefined, outfile: string): Promise<void> {
  const argv = [process.execPath, 'build', 'src/main.ts', '--compile', '--minify-syntax', '--minify-whitespace', '--outfile', outfile];
  if (target) argv.push(`--target=bun-${target}`);
  const proc = Bun.spawn(argv, { stdout: 'inherit', stderr: 'inherit', cwd: import.meta.dir });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`bun build --compile failed for ${target ?? 'host'} (exit ${code})`);
}

if (import.meta.main) {
  const release = process.argv.includes('--release');
  mkdirSync(join(import.meta.dir, 'dist'), { recursive: true });
  await compile(undefined, 'dist/peers');
  if (release) {
    mkdirSync(join(import.meta.dir, 'dist/release'), { recursive: true });
    for (const target of RELEASE_TARGETS) await compile(target, `dist/release/peers-${target}`);
  }
}
