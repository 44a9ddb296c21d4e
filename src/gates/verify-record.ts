/**
 * `.peers/verify.json`: what the last `peers verify` found, for `peers doctor` to report before a
 * night's run (do the gates pass, does setup work, how long do the gates take per tick). Written
 * atomically beside VERIFY.md; read back strictly, so a hand-edited or torn file is "unreadable",
 * never trusted.
 */
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';
import { UnsafePathError, writeFileAtomic } from '../fs/atomic-write.ts';
import { fileAccessError, type FileKind } from '../fs/file-errors.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import type { VerifyReport } from './verify-run.ts';
import { shellCommand } from '../cli/shell-word.ts';

export const VERIFY_RECORD_FILE = 'verify.json';

const ms = z.number().int().min(0);

export const VerifyRecordSchema = z.object({
  version: z.literal(1),
  head: z.string().regex(/^[0-9a-f]{40,64}$/),
  ok: z.boolean(),
  finished_at: z.string(),
  /** Wall time of setup and gates together. */
  duration_ms: ms,
  setup: z.object({ cmd: z.string(), state: z.enum(['pass', 'fail']), duration_ms: ms }).nullable(),
  gates: z.array(z.object({ id: z.string(), kind: z.enum(['hard', 'verify']), state: z.enum(['pass', 'fail']), duration_ms: ms })),
});
export type VerifyRecord = z.infer<typeof VerifyRecordSchema>;

export function verifyRecord(r: VerifyReport, setupCmd?: string): VerifyRecord {
  return {
    version: 1,
    head: r.head,
    ok: r.ok,
    finished_at: r.finishedAt,
    duration_ms: Math.max(0, Math.round(r.durationMs)),
    setup: r.setup ? { cmd: setupCmd ?? r.setup.cmd ?? '', state: r.setup.state, duration_ms: Math.max(0, Math.round(r.setup.durationMs)) } : null,
    gates: [
      ...r.hard.map((g) => ({ id: g.id, kind: 'hard' as const, state: g.state, duration_ms: Math.max(0, Math.round(g.durationMs)) })),
      ...r.commands.map((g) => ({ id: g.id, kind: 'verify' as const, state: g.state, duration_ms: Math.max(0, Math.round(g.durationMs)) })),
    ],
  };
}

/** What verify writes into .peers/ (VERIFY.md, verify.json): a path this user cannot write is named, exit 2, not an internal error. */
export const VERIFY_FILE_KIND = (what: string): FileKind => ({ what, hint: 'make .peers/ writable for this user (or run peers as its owner), then run `peers verify` again' });

/** A symlink or hard link planted at the path is bad input (as for VERIFY.md), never written through. */
export function writeVerifyRecord(path: string, record: VerifyRecord): void {
  try {
    writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o644);
  } catch (error) {
    if (error instanceof UnsafePathError) throw new InputError(error.message, { location: { file: path }, hint: `remove it (${shellCommand('rm', path)}) and run \`peers verify\` again` });
    throw fileAccessError(error, path, VERIFY_FILE_KIND('verify record'));
  }
}

/** undefined: never verified; 'unreadable': present but not a record this version wrote. */
export function readVerifyRecord(path: string): VerifyRecord | 'unreadable' | undefined {
  let text: string | undefined;
  try {
    text = readTextIfExists(path, 1024 * 1024);
  } catch {
    return 'unreadable';
  }
  if (text === undefined) return undefined;
  try {
    const parsed = VerifyRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}
