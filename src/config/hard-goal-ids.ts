/**
 * The ids of a goals file's hard goals, which `peers status` and `ls` show as open until the loop
 * has evaluated them, remembered by the file's content. Validating a goals file (the YAML parser
 * and the goals schema, goals-file.ts) is most of what `status` of a project without a run costs
 * (BENCHMARKS.md, Startup), and the file seldom changes between two looks.
 *
 * The memory is the user's cache ($XDG_CACHE_HOME/peers/hard-goals/, one entry per goals file
 * path). An entry counts only for the exact bytes it was made from by this very peers executable
 * (its version, and the size and modification time of the file it runs from: a rebuilt binary whose
 * goals schema changed under the same version number validates again): an edited file, or another
 * peers, validates again. A file that does not validate is never remembered: its refusal (file:line:col,
 * as `peers verify` says it) is what `status` and `ls` show, never "no gates open" (fail closed:
 * they cannot say a gate is green when they cannot read the gates). Only the display uses this:
 * `peers up`, `verify` and the loop always validate the file they run on.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PEERS_VERSION } from '../cli/version.ts';
import { PeersError } from '../cli/errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextCapped, readTextIfExists } from '../fs/safe-read.ts';
import { xdgCacheHome } from '../state/env-dirs.ts';

const HardGoalsEntrySchema = z.strictObject({ content: z.string(), hard: z.array(z.string()) });

/**
 * More than the control files' own limit (control-file.ts): a larger file is refused by the
 * validation, and that refusal (no ids) is what is remembered.
 */
const READ_LIMIT = 4 * MiB;

const sha256 = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest('hex');

/** This peers executable: its version and the file it runs from (one stat, no read). */
export function executableIdentity(execPath = process.execPath): string {
  try {
    const st = statSync(execPath);
    return `${PEERS_VERSION}\0${execPath}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return `${PEERS_VERSION}\0${execPath}`;
  }
}

function entryPath(goalsFile: string, env: NodeJS.ProcessEnv): string {
  return join(xdgCacheHome(env), 'peers', 'hard-goals', `${sha256(goalsFile)}.json`);
}

function remembered(path: string, content: string): string[] | undefined {
  try {
    const text = readTextIfExists(path, MiB);
    if (text === undefined) return undefined;
    const entry = HardGoalsEntrySchema.safeParse(JSON.parse(text));
    return entry.success && entry.data.content === content ? entry.data.hard : undefined;
  } catch {
    return undefined; // an unreadable or damaged entry is made again
  }
}

function remember(path: string, content: string, hard: string[]): void {
  try {
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, `${JSON.stringify({ content, hard })}\n`);
  } catch {
    // A cache that cannot be written costs the next look a validation, nothing else.
  }
}

/** A goals file that does not validate: its refusal as `peers verify` words it (file:line:col: message). */
export type InvalidGoalsFile = { error: string };

/** The hard goals' ids of the goals file at `file` (which exists), or why they cannot be known. */
export async function hardGoalIdsOf(file: string, env: NodeJS.ProcessEnv, executable = executableIdentity()): Promise<string[] | InvalidGoalsFile> {
  let text: string;
  try {
    text = readTextCapped(file, READ_LIMIT);
  } catch {
    return validatedHardGoalIds(file); // unreadable here: the validation says so, and nothing is remembered
  }
  const content = sha256(`${executable}\0${text}`);
  const path = entryPath(file, env);
  const known = remembered(path, content);
  if (known) return known;
  const hard = await validatedHardGoalIds(file);
  // Remembered only for the bytes that were validated: a file changed meanwhile is validated next time.
  if (Array.isArray(hard) && sameContent(file, text)) remember(path, content, hard);
  return hard;
}

function sameContent(file: string, text: string): boolean {
  try {
    return readTextCapped(file, READ_LIMIT) === text;
  } catch {
    return false;
  }
}

async function validatedHardGoalIds(file: string): Promise<string[] | InvalidGoalsFile> {
  const { loadGoalsFile } = await import('./goals-file.ts');
  try {
    return loadGoalsFile(file).goals.filter((g) => g.type === 'hard').map((g) => g.id);
  } catch (e) {
    // Worded as `peers verify` and `peers up` refuse it; any failure to read it is a refusal too.
    return { error: e instanceof PeersError ? e.format() : `${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
