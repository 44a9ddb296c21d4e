/**
 * A cross-process lock beside the credentials file: `mkdir <lock>` succeeds for exactly one
 * process (the same convention as the proper-lockfile package, whose default lock path for a file
 * is `<file>.lock`). A lock older than `staleMs` was left by a crashed holder and is taken over.
 */
import { mkdirSync, rmdirSync, statSync } from 'node:fs';

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 45_000;
  const staleMs = opts.staleMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockPath, { mode: 0o700 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > staleMs) {
          rmdirSync(lockPath);
          continue;
        }
      } catch {}
      if (Date.now() > deadline) throw new Error(`timed out waiting for the credentials lock ${lockPath}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      rmdirSync(lockPath);
    } catch {}
  }
}
