/**
 * `runs.jsonl`: one line per completed tick (every baseline §9.1 field plus `truncated`, the gate
 * snapshot and the observation the tick was decided from) and one `exit` line per stop. Appends are
 * single write()+fsync; a line torn by a power cut is skipped on read and cut off before the next
 * append, so the file stays parseable line by line.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { appendLineSafe, assertSafeLeaf } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';

export const RUNS_READ_LIMIT = 256 * MiB;

export type TickLine = { event: 'tick'; ts: string; tick: number; peer: string; classification: string; success: boolean } & Record<string, unknown>;
export type ExitLine = { event: 'exit'; ts: string; reason: string; ticks_in_run: number; tick: number };
export type RunLine = TickLine | ExitLine;

export function appendRunLine(path: string, line: RunLine): void {
  appendLineSafe(path, JSON.stringify(line));
}

export type RunLog = { lines: RunLine[]; skipped: number; tornTail: boolean };

export function readRunLog(path: string): RunLog {
  const text = readTextIfExists(path, RUNS_READ_LIMIT) ?? '';
  const parts = text.split('\n');
  const tornTail = parts[parts.length - 1] !== '';
  const lines: RunLine[] = [];
  let skipped = 0;
  for (const part of parts) {
    if (!part.trim()) continue;
    try {
      const v = JSON.parse(part);
      if (v && typeof v === 'object' && (v.event === 'tick' || v.event === 'exit')) lines.push(v as RunLine);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { lines, skipped, tornTail };
}

export function tickLines(log: RunLog): TickLine[] {
  return log.lines.filter((l): l is TickLine => l.event === 'tick');
}

/** Cuts an incomplete last line (power cut mid-append) so the next append starts a fresh line. */
export function repairTornTail(path: string): boolean {
  assertSafeLeaf(path);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return false;
    // Walk back to the last newline in 64 KiB steps.
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const idx = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (idx >= 0) {
        ftruncateSync(fd, start + idx + 1);
        return true;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    return true;
  } finally {
    closeSync(fd);
  }
}
