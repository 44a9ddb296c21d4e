/**
 * A file the user names on the command line or in an environment variable (`--ca-file`,
 * `$SSL_CERT_FILE` …). Unlike control-plane files, a symlink is followed (certificate bundles are
 * symlinks on most systems), but what it leads to must be a regular file: a directory is refused
 * with its name, and a FIFO or a device is refused before it is opened, so nothing hangs waiting
 * for a writer or reads /dev/zero forever.
 */
import { statSync } from 'node:fs';
import { InputError } from './errors.ts';

/** Whether `path` leads to a regular file (following symlinks). */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `path` if it leads to a regular file; else an InputError naming `source` (the flag or variable) and the path. */
export function requireRegularFile(path: string, source: string): string {
  let what: string;
  try {
    const st = statSync(path);
    if (st.isFile()) return path;
    what = st.isDirectory() ? 'is a directory' : 'is not a regular file (a FIFO, socket or device)';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    what = code === 'ENOENT' ? 'does not exist' : code === 'ELOOP' ? 'is a symlink loop' : `cannot be read (${code ?? (error as Error).message})`;
  }
  throw new InputError(`${source} ${path}: ${what}`, { location: { file: path }, hint: `point ${source} at a regular file` });
}
