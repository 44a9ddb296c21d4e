/**
 * Whether a file is there, for a reader that treats "not there" as an answer ("fresh, no run yet",
 * "never started"): a path this user cannot reach is not "not there" (existsSync says false for
 * both). ENOENT and ENOTDIR are false; any other failure is the file's error (file-errors.ts),
 * exit 2 naming it, so a state directory left by `sudo peers up` is not shown as an empty one.
 */
import { statSync } from 'node:fs';
import { fileAccessError, type FileKind } from './file-errors.ts';

export function fileThere(path: string, kind: FileKind): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw fileAccessError(error, path, kind);
  }
}
