/** `last-stop-reason.txt`: one line, `<reason> <iso8601-utc>`, written atomically at every exit. */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';

export function writeStopReason(path: string, reason: string, now = new Date()): void {
  writeFileAtomic(path, `${reason} ${now.toISOString()}\n`);
}

export function readStopReason(path: string): { reason: string; at: string } | undefined {
  const text = readTextIfExists(path, 64 * 1024)?.trim();
  if (!text) return undefined;
  const cut = text.lastIndexOf(' ');
  return cut < 0 ? { reason: text, at: '' } : { reason: text.slice(0, cut), at: text.slice(cut + 1) };
}
