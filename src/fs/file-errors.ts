/**
 * What a failed read or write of a user- or peer-writable file means for the person at the
 * keyboard. Every reader of such a file (config, goals, scenario, state.json, runs.jsonl, the
 * registry, the stop reason, the gate cache) maps its failure here, so each kind of file reports
 * the same way: the file, what is wrong with it, what to do, and exit 2 for a path that is not what
 * it must be (exit 1 when the system failed on a path that is fine).
 */
import { UnsafePathError } from './atomic-write.ts';
import { FileTooLargeError } from './safe-read.ts';
import { InputError, PeersError } from '../cli/errors.ts';
import { shellCommand } from '../cli/shell-word.ts';

export type FileKind = {
  /** What the file is, for the message: "run state", "projects registry", "scenario file". */
  what: string;
  /** The next thing to do when the file is not usable (move it aside, restore it, …). */
  hint: string;
  /** The hint when the file is missing, if a missing file is an error at all. */
  missingHint?: string;
  /** The hint when this user may not use it (EACCES, EPERM), where the kind has a better one than its permissions (a variable that moves it). */
  deniedHint?: string;
};

/** Input problems by errno: the path is not what it must be (or cannot be reached as given). */
const INPUT_ERRNO: Record<string, string> = {
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symlinks in the path',
  ENAMETOOLONG: 'the path is too long',
  ENXIO: 'it is a socket or device without a reader, not a file',
  EEXIST: 'something else is already there',
  EROFS: 'the file system is read-only',
};

/** The PeersError to throw for `error`, raised while reading or writing `path` (a file of `kind`). */
export function fileAccessError(error: unknown, path: string, kind: FileKind): PeersError {
  const location = { file: path };
  if (error instanceof FileTooLargeError) {
    return new InputError(`${kind.what} is larger than ${error.limit} bytes, the most peers reads`, { location, hint: kind.hint });
  }
  if (error instanceof UnsafePathError) {
    // The refused path may be a directory above the file (a symlinked state dir): name it then.
    const what = error.path === path ? error.message.replace(`refusing to use ${path}: `, 'refusing to use it: ') : error.message;
    return new InputError(`${kind.what}: ${what}`, { location, hint: kind.hint });
  }
  if (error instanceof PeersError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new InputError(`${kind.what} not found`, { location, hint: kind.missingHint ?? kind.hint });
  if (code === 'EACCES' || code === 'EPERM') {
    // The file may be just what it must be: its permissions are the fix, not the kind's ("replace it …").
    const hint = kind.deniedHint ?? `this user cannot use it: check its permissions and its directories' (\`${shellCommand('ls', '-ld', path)}\`), or run peers as the user who owns it`;
    return new InputError(`${kind.what}: ${INPUT_ERRNO[code]}`, { location, hint });
  }
  if (code && INPUT_ERRNO[code]) return new InputError(`${kind.what}: ${INPUT_ERRNO[code]}`, { location, hint: kind.hint });
  // EIO, ENOSPC and the like: the path may be fine, the system failed on it.
  const failed = new PeersError(`cannot use ${kind.what}: ${(error as Error)?.message ?? String(error)}`, { exitCode: 1, location, hint: 'check the disk and its file system, then retry' });
  // The loop tells a full disk from other failures by the errno (src/loop/shell/storage-stop.ts).
  return Object.assign(failed, { cause: error });
}

/** Runs `access` (a read or write of `path`), turning any failure into fileAccessError's PeersError. */
export function accessingFile<T>(path: string, kind: FileKind, access: () => T): T {
  try {
    return access();
  } catch (error) {
    throw fileAccessError(error, path, kind);
  }
}
