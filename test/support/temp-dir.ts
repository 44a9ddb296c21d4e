/**
 * Temporary directories for tests, removed after the file's tests: a suite of thousands of tests
 * must not leave thousands of directories in the machine's /tmp. Each is made like
 * `mkdtempSync(join(tmpdir(), prefix))` (private, mode 0700), so tests see no difference. A test
 * file that makes them registers `afterAll(removeTempDirs)` (bun runs a file's tests, then the
 * next file's, so the list holds only the current file's directories).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
}
