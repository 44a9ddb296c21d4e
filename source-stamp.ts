/**
 * The fingerprint of what a build of `dist/peers` compiles: the content of every file git tracks
 * (or would: untracked, not ignored) outside test/, and Bun's version. build.ts writes it next to
 * the binary; the test suite lets the gates' `peers check` calls run that binary only while the
 * fingerprint still matches the working tree (test/compiled-peers-preload.ts), so a test never
 * judges code older than the sources it sits beside.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A file git lists but the tree lacks (deleted, not yet staged) or cannot read counts as such. */
function contentHash(path: string): string {
  if (!existsSync(path)) return 'missing';
  try {
    return new Bun.CryptoHasher('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'unreadable';
  }
}

/** Where build.ts records the fingerprint of the sources `dist/peers` was compiled from. */
export const SOURCE_STAMP_FILE = 'dist/peers.sources';

/** The fingerprint of the sources in `root` now; null where git cannot list them. */
export function sourceStamp(root: string): string | null {
  const ls = Bun.spawnSync(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, stdin: 'ignore', stdout: 'pipe', stderr: 'ignore' });
  if (ls.exitCode !== 0) return null;
  const files = [...new Set(ls.stdout.toString().split('\0').filter((f) => f && !f.startsWith('test/')))].sort();
  const hash = new Bun.CryptoHasher('sha256');
  hash.update(`bun ${Bun.version}\0`);
  for (const f of files) {
    const path = join(root, f);
    hash.update(`${f}\0${contentHash(path)}\0`);
  }
  return hash.digest('hex');
}
