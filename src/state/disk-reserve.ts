/**
 * A small file the loop keeps in the state dir while it runs. When the disk fills, the loop deletes
 * it first, so the stop reason, the exit line and state.json still fit (src/loop/shell/storage-stop.ts);
 * the next start writes it again (and stops at once, saying so, if even that does not fit).
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export const RESERVE_BYTES = 256 * 1024;

export function keepReserve(path: string): void {
  if (existsSync(path) && statSync(path).size === RESERVE_BYTES) return;
  writeFileAtomic(path, Buffer.alloc(RESERVE_BYTES, 0x2e));
}

/** Frees the reserve; true when there was one. */
export function releaseReserve(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
