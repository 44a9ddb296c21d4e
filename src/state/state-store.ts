/**
 * Reading and writing `state.json`. Writes are atomic (temp, fsync, rename, directory fsync) and
 * never go through a symlink or hard link; reads are size-capped and no-follow. A corrupt or
 * hand-broken file is refused with a message naming it (exit 2), never silently replaced.
 */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { InputError } from '../cli/errors.ts';
import { LoopStateSchema, STATE_SCHEMA_VERSION, type LoopState } from './state-schema.ts';

export const STATE_READ_LIMIT = 5 * MiB;

export function loadState(path: string): LoopState | undefined {
  let text: string | undefined;
  try {
    text = readTextIfExists(path, STATE_READ_LIMIT);
  } catch (error) {
    throw new InputError(`cannot read run state: ${(error as Error).message}`, { location: { file: path }, hint: 'move the file aside to start the run afresh' });
  }
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`run state is corrupt (not JSON: ${(error as Error).message})`, { location: { file: path }, hint: 'move the file aside to start the run afresh' });
  }
  const version = (raw as { schema_version?: unknown })?.schema_version;
  if (version !== STATE_SCHEMA_VERSION) {
    throw new InputError(`run state has schema_version ${JSON.stringify(version)}; this peers reads version ${STATE_SCHEMA_VERSION}`, {
      location: { file: path },
      hint: 'use the peers release that wrote it, or move the file aside to start afresh',
    });
  }
  const parsed = LoopStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(`run state is corrupt: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      location: { file: path },
      hint: 'move the file aside to start the run afresh',
    });
  }
  const s = parsed.data;
  if (s.turn_index >= s.peer_order.length) throw new InputError(`run state is corrupt: turn_index ${s.turn_index} out of range`, { location: { file: path } });
  return s;
}

export function saveState(path: string, state: LoopState): void {
  // Refuse to persist what we could not read back.
  const checked = LoopStateSchema.parse(state);
  writeFileAtomic(path, `${JSON.stringify(checked, null, 2)}\n`);
}
