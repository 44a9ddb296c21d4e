/**
 * `turn.json`: the turn under way, written by the loop when a peer starts and removed when its turn
 * ends, so `peers status`, `status --watch` and the dashboard can say who is working, since when,
 * and where its output is being written. Only meaningful while the run lock is held: a file left
 * by a loop that died is stale, and readers ignore it then.
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
