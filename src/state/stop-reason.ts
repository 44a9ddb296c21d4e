/** `last-stop-reason.txt`: one line, `<reason> <iso8601-utc>`, written atomically at every exit. */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { accessingFile } from '../cli/file-errors.ts';

export function writeStopReason(path: string, reason: string, now = new Date()): void {
  writeFileAtomic(path, `${reason} ${now.toISOString()}\n`);
}

const STOP_REASON = { what: 'stop reason file', hint: 'move it aside; the loop writes it again at its next stop' };

/** The last stop; a file that is not a regular one (or too big) is exit 2, garbage in it is shown as written. */
export function readStopReason(path: string): { reason: string; at: string } | undefined {
  const text = accessingFile(path, STOP_REASON, () => readTextIfExists(path, 64 * 1024))
    ?.split('\n')[0]!
    // Shown on a terminal: no control characters (escape sequences) from a hand-edited file.
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    .trim();
  if (!text) return undefined;
  const cut = text.lastIndexOf(' ');
  return cut < 0 ? { reason: text, at: '' } : { reason: text.slice(0, cut), at: text.slice(cut + 1) };
}
