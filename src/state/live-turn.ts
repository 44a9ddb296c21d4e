/**
 * `turn.json`: the turn under way, written by the loop when a peer starts and removed when its turn
 * ends, so `peers status`, `status --watch` and the dashboard can say who is working, since when,
 * and where its output is being written. Only meaningful as the turn under way while the run lock
 * is held: readers ignore a file left by a loop that is gone. The loop removes it only once the
 * turn is recorded (its runs.jsonl line and state.json written), so a file the next loop finds for
 * the tick after the saved one is a turn that was interrupted (the loop stopped, crashed or was
 * killed during it): that loop closes it as that peer's turn before any other
 * (shell/interrupted-turn.ts; docs/ARCHITECTURE.md, "Crash consistency of a tick").
 */
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';

export const LiveTurnSchema = z.object({
  tick: z.number().int().min(1),
  peer: z.string(),
  tool: z.string(),
  skeptic: z.boolean(),
  started_at: z.string(),
  /** The turn's output files, relative to the state dir (tick-log.ts). */
  stdout_log: z.string(),
  stderr_log: z.string(),
  /** Where the turn started and its place in the turn order: what closing it after an interruption needs (absent in files of older loops). */
  head_before: z.string().nullable().optional(),
  turn_index: z.number().int().min(0).optional(),
  audits: z.array(z.string()).optional(),
});
export type LiveTurn = z.infer<typeof LiveTurnSchema>;

export function liveTurnPath(stateDir: string): string {
  return join(stateDir, 'turn.json');
}

export function writeLiveTurn(stateDir: string, turn: LiveTurn): void {
  // Atomic, not durable (no fsync): a power cut ends the turn it describes, and a file left by a
  // loop that is gone is stale and ignored anyway (docs/ARCHITECTURE.md, "Crash consistency of a tick").
  writeFileAtomic(liveTurnPath(stateDir), `${JSON.stringify(turn)}\n`, 0o600, { durable: false });
}

export function clearLiveTurn(stateDir: string): void {
  const path = liveTurnPath(stateDir);
  try {
    if (existsSync(path)) unlinkSync(path);
  } catch {}
}

/** The recorded turn, or null when there is none or the file cannot be read (it is informational). */
export function readLiveTurn(stateDir: string): LiveTurn | null {
  try {
    const text = readTextIfExists(liveTurnPath(stateDir), 64 * 1024);
    if (text === undefined) return null;
    const parsed = LiveTurnSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
