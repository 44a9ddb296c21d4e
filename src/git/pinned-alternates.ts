/**
 * The alternates a user's repository declares (a `clone --shared`, allowed on the host loop only),
 * pinned when the run starts, before any turn: the peers work in that repository, and an
 * `objects/info/alternates` they rewrite (a relative path reaches anywhere: another repository of
 * the user's, a directory of FIFOs that holds git's blocking open) would otherwise be followed by
 * the sync's git into the trusted mirror. A sync whose alternates are not the pinned ones is
 * refused (fail closed); every store the pinned ones lead to is checked in place as the repository's
 * own is. SECURITY.md, "The user's repository, the run clone and the trusted observer".
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextBeneath } from '../fs/read-beneath.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { resolveRepoLayout } from './repo-layout.ts';

/** In the stage (ours): the alternates text the run started with. */
const PINNED = 'peer-alternates.pinned';
const LIMIT = 64 * 1024;

/** `objectsDir/info/alternates` read beneath the store (no symlink on the way, no FIFO); '' when absent. */
export function alternatesText(objectsDir: string): string {
  try {
    return readTextBeneath(objectsDir, 'info/alternates', LIMIT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Pins the alternates of the repository at `workDir` in `stage`, once (the run's start). */
export function pinAlternates(stage: string, workDir: string, allowGitFile: boolean): void {
  const pin = join(stage, PINNED);
  if (existsSync(pin)) return;
  let text = '';
  try {
    text = alternatesText(resolveRepoLayout(workDir, { allowGitFile }).objectsDir);
  } catch {
    return; // unreadable now: no pin, so any alternates later are refused
  }
  mkdirSync(stage, { recursive: true, mode: 0o700 });
  writeFileAtomic(pin, text, 0o600, { durable: false });
}

/** Why the store's alternates may not be followed, or undefined when they are the pinned ones. */
export function unpinnedAlternates(stage: string, objectsDir: string, declared: string[]): string | undefined {
  if (declared.includes('http-alternates')) return 'the object store declares info/http-alternates, which peers never follows';
  const pinned = readTextIfExists(join(stage, PINNED), LIMIT);
  let now: string;
  try {
    now = alternatesText(objectsDir);
  } catch (error) {
    return `its info/alternates cannot be read: ${(error as Error).message}`;
  }
  if (pinned === undefined || now !== pinned) return "the object store's info/alternates is not the one it had when the run started, which peers never follows";
  return undefined;
}
