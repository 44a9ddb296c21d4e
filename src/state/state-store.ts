/**
 * Reading and writing `state.json`. Writes are atomic (temp, fsync, rename, directory fsync) and
 * never go through a symlink or hard link; reads are size-capped and no-follow. A corrupt or
 * hand-broken file is refused with a message naming it (exit 2), never silently replaced.
 */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { InputError } from '../cli/errors.ts';
import { accessingFile } from '../fs/file-errors.ts';
import { LoopStateSchema, STATE_SCHEMA_VERSION, type LoopState } from './state-schema.ts';

export const STATE_READ_LIMIT = 5 * MiB;

const RUN_STATE = { what: 'run state', hint: 'move the file aside to start the run afresh' };

export function loadState(path: string): LoopState | undefined {
  const text = accessingFile(path, RUN_STATE, () => readTextIfExists(path, STATE_READ_LIMIT));
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
  const corrupt = (what: string) => new InputError(`run state is corrupt: ${what}`, { location: { file: path }, hint: RUN_STATE.hint });
  if (s.turn_index >= s.peer_order.length) throw corrupt(`turn_index ${s.turn_index} out of range`);
  if (new Set(s.peer_order).size !== s.peer_order.length) throw corrupt('peer_order names a peer twice');
  const unknown = s.peer_order.find((p) => !Object.hasOwn(s.peers, p));
  if (unknown !== undefined) throw corrupt(`peer_order names '${unknown}', which has no entry in peers`);
  return s;
}

export function saveState(path: string, state: LoopState): void {
  // Refuse to persist what we could not read back.
  const checked = LoopStateSchema.parse(state);
  writeFileAtomic(path, `${JSON.stringify(checked, null, 2)}\n`);
}
