/**
 * `runs.jsonl`: one line per completed tick (every field of a tick, `truncated`, the gate
 * snapshot and the observation the tick was decided from) and one `exit` line per stop. Appends are
 * single write()+fsync; a line torn by a power cut is skipped on read and cut off before the next
 * append, so the file stays parseable line by line.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import { accessingFile } from '../fs/file-errors.ts';
import { appendLineSafe, assertSafeLeaf } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';

export const RUNS_READ_LIMIT = 256 * MiB;

const count = z.number().int().min(0);
const amount = z.number().min(0);
const text = z.string();

/**
 * A tick line as every reader relies on it (status, report, replay, the loop's resume); the loop
 * writes more, kept as written. A line that does not fit (hand-edited, from a foreign tool) is
 * skipped like a torn one and counted, never trusted with a wrong type.
 */
export const TickLineSchema = z.looseObject({
  event: z.literal('tick'),
  ts: text,
  tick: z.number().int().min(1),
  peer: text,
  classification: text,
  success: z.boolean(),
  tool: text.optional(),
  turn_index: count.optional(),
  skeptic: z.boolean().optional(),
  exit_code: z.number().int().nullable().optional(),
  duration_ms: amount.optional(),
  tokens_this_tick: amount.optional(),
  usd_this_tick: amount.optional(),
  soft_fail_reason: text.nullable().optional(),
  head_before: text.nullable().optional(),
  head_after: text.nullable().optional(),
  truncated: z.boolean().optional(),
  stdout_tail: text.optional(),
  stderr_tail: text.optional(),
  prompt_file: text.optional(),
  argv: z.array(text).optional(),
  warnings_emitted: z.array(text).optional(),
  gates: z.looseObject({ head: text.nullable().optional(), hard: z.record(text, text).optional(), soft: z.record(text, text).optional() }).optional(),
});
export const ExitLineSchema = z.looseObject({ event: z.literal('exit'), ts: text, reason: text, ticks_in_run: count, tick: count });

export type TickLine = z.infer<typeof TickLineSchema>;
export type ExitLine = z.infer<typeof ExitLineSchema>;
export type RunLine = TickLine | ExitLine;

export function appendRunLine(path: string, line: RunLine): void {
  appendLineSafe(path, JSON.stringify(line));
}

export type RunLog = {
  lines: RunLine[];
  skipped: number;
  /** Why the first skipped line was skipped (`line 7: tick: …`), for the message that counts them. */
  firstSkipped?: string;
  tornTail: boolean;
};

const RUN_LOG = { what: 'run log', hint: 'move the file aside; the next run starts a new one (state.json keeps the run going)' };

function parseLine(part: string): RunLine | string {
  let v: unknown;
  try {
    v = JSON.parse(part);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const event = (v as { event?: unknown } | null)?.event;
  const schema = event === 'tick' ? TickLineSchema : event === 'exit' ? ExitLineSchema : undefined;
  if (!schema) return 'neither a tick nor an exit line';
  const parsed = schema.safeParse(v);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return `${issue.path.join('.') || '(line)'}: ${issue.message}`;
}

export function readRunLog(path: string): RunLog {
  const content = accessingFile(path, RUN_LOG, () => readTextIfExists(path, RUNS_READ_LIMIT)) ?? '';
  const parts = content.split('\n');
  const tornTail = parts[parts.length - 1] !== '';
  const lines: RunLine[] = [];
  let skipped = 0;
  let firstSkipped: string | undefined;
  parts.forEach((part, i) => {
    if (!part.trim()) return;
    const line = parseLine(part);
    if (typeof line !== 'string') {
      lines.push(line);
      return;
    }
    skipped++;
    firstSkipped ??= `line ${i + 1}: ${line}`;
  });
  return { lines, skipped, firstSkipped, tornTail };
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
