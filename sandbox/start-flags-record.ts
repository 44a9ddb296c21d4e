/**
 * The start-only flags (`--max-ticks 2`, `--no-skeptic`, `--allow host`, …: up-options.ts,
 * startOnlyFlags) the running loop was started with, recorded by the `peers up` that started it. A
 * second `peers up` with flags the loop already runs with changes nothing, so it is told the run is
 * running, not refused: a user who ran the same command twice (from the shell's history, a script)
 * read "--max-ticks 2 takes effect only when the loop starts" as a failure to apply a value the run
 * had all along. Only flags recorded here count as in effect; a missing or unreadable record
 * excuses none (the second up is then refused as before).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';

export const START_FLAGS_FILE = 'up-flags.json';

const StartFlagsSchema = z.object({ flags: z.array(z.string()) });

/**
 * `--reset-peer` and `--accept-changes` act once, when the loop starts: asked again of a running
 * loop they ask for the act again, which only a new start does. They are never recorded as in effect.
 */
const ACTS_AT_START = /^--(reset-peer|accept-changes)(\s|$)/;

/**
 * Written by every `up` that starts a loop, before the loop starts (an empty list too: the last
 * start's flags are what runs); the settings among `flags` only (ACTS_AT_START).
 */
export function recordStartFlags(stateDir: string, flags: readonly string[]): void {
  writeFileAtomic(join(stateDir, START_FLAGS_FILE), `${JSON.stringify({ flags: flags.filter((f) => !ACTS_AT_START.test(f)) }, null, 2)}\n`);
}

/** The flags the running loop was started with; null when no readable record says. */
export function recordedStartFlags(stateDir: string): string[] | null {
  try {
    const r = StartFlagsSchema.safeParse(JSON.parse(readFileSync(join(stateDir, START_FLAGS_FILE), 'utf8')));
    return r.success ? r.data.flags : null;
  } catch {
    return null;
  }
}

/** Of `asked`, those the running loop does not already run with (`recorded`: null excuses none). Pure. */
export function flagsNotInEffect(asked: readonly string[], recorded: readonly string[] | null): string[] {
  return recorded ? asked.filter((f) => !recorded.includes(f)) : [...asked];
}
