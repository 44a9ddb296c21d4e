/**
 * A full disk, an exhausted quota or an I/O error under a host command (`peers up` making the run's
 * mirror in a state directory on a full disk, `peers init` writing .peers/) is the machine's
 * condition, not a bug in peers: said as such, exit 1, with what to do. The loop has its own stop
 * for these (src/loop/shell/storage-stop.ts, `disk-full:<file>`); this is for what escapes a
 * command. Told from the errno of the error or of its causes, or from the words the system (and
 * git, which reports strerror without an errno) prints.
 */
type Problem = { what: string; hint: string };

const FULL_HINT = 'free space on the disk that holds the state directory (XDG_STATE_HOME, or PEERS_STATE_DIR; `peers prune` deletes archived runs) or the repository, then run the command again: what was written whole stays';
const PROBLEMS: { code: string; words: RegExp; problem: Problem }[] = [
  { code: 'ENOSPC', words: /No space left on device/i, problem: { what: 'no space left on the device', hint: FULL_HINT } },
  { code: 'EDQUOT', words: /Disk quota exceeded/i, problem: { what: 'disk quota exceeded', hint: FULL_HINT } },
  { code: 'EIO', words: /Input\/output error/i, problem: { what: 'an I/O error', hint: 'check the disk and its file system (dmesg), then run the command again' } },
];

/** What `error` (or one of its causes) says of the storage under it, as one line and a hint; undefined for anything else. */
export function storageFailure(error: unknown): { message: string; hint: string } | undefined {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = e as NodeJS.ErrnoException;
    const text = e instanceof Error ? e.message : String(e);
    const hit = PROBLEMS.find((p) => errno.code === p.code) ?? PROBLEMS.find((p) => p.words.test(text));
    if (!hit) continue;
    const path = errno.code === hit.code && typeof errno.path === 'string' && errno.path ? `${errno.path}: ` : '';
    return { message: `${hit.problem.what}: ${path}${text}`, hint: hit.problem.hint };
  }
  return undefined;
}
