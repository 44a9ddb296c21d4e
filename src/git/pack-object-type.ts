/**
 * The type of an object stored in a pack of a peers-owned git dir (the run's mirror), read from the
 * pack's index and the entry's header, without running git: after each import the loop asks whether
 * the head it fetched is a commit (observer.ts, syncMirror), and a git process for that costs more
 * CPU than the rest of the check (BENCHMARKS.md, "Loop processes per tick").
 *
 * Sound only for packs our own `git index-pack` wrote: it hashed every whole (non-delta) entry from
 * its type and content, so the type in such an entry's header is the one the object's name commits
 * to. A delta entry names no type of its own: undefined, and the caller asks git. So does anything
 * this reader does not know (an index other than version 2, SHA-256 names, a short read).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readRange } from '../fs/safe-read.ts';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

const IDX_MAGIC = 0xff744f63;
const NAME_BYTES = 20;
const HEADER_BYTES = 8 + 256 * 4;
const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
/** Packs searched, newest first: an object just fetched is in the newest; older ones are git's to find. */
const MAX_PACKS_SEARCHED = 16;

/** Where `sha` is in the pack indexed by `idxPath`: its offset, or undefined (absent, or unreadable). */
function offsetIn(idxPath: string, sha: Buffer): number | undefined {
  const head = readRange(idxPath, { from: 0 }, HEADER_BYTES);
  if (!head || head.bytes.length < HEADER_BYTES || head.bytes.readUInt32BE(0) !== IDX_MAGIC || head.bytes.readUInt32BE(4) !== 2) return undefined;
  const fanout = (i: number) => head.bytes.readUInt32BE(8 + i * 4);
  const count = fanout(255);
  const first = sha[0]!;
  const lo = first === 0 ? 0 : fanout(first - 1);
  const hi = fanout(first);
  if (hi <= lo) return undefined;
  const names = readRange(idxPath, { from: HEADER_BYTES + lo * NAME_BYTES }, (hi - lo) * NAME_BYTES);
  if (!names || names.bytes.length !== (hi - lo) * NAME_BYTES) return undefined;
  let at = -1;
  for (let i = 0; i < hi - lo; i++) {
    if (names.bytes.compare(sha, 0, NAME_BYTES, i * NAME_BYTES, (i + 1) * NAME_BYTES) === 0) {
      at = lo + i;
      break;
    }
  }
  if (at < 0) return undefined;
  // Names, then a CRC32 per object, then a 4-byte offset per object (top bit: in the 8-byte table).
  const offsets = HEADER_BYTES + count * (NAME_BYTES + 4);
  const small = readRange(idxPath, { from: offsets + at * 4 }, 4);
  if (!small || small.bytes.length !== 4) return undefined;
  const v = small.bytes.readUInt32BE(0);
  if ((v & 0x80000000) === 0) return v;
  const large = readRange(idxPath, { from: offsets + count * 4 + (v & 0x7fffffff) * 8 }, 8);
  if (!large || large.bytes.length !== 8) return undefined;
  const big = large.bytes.readBigUInt64BE(0);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
}

/**
 * The type of `sha` as a whole entry of one of the newest packs of `gitDir` (undefined: not found
 * there, stored as a delta, or not readable as expected; then ask git).
 */
export function packedObjectType(gitDir: string, sha: string): ObjectType | undefined {
  if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
  const dir = join(gitDir, 'objects', 'pack');
  let packs: Array<{ base: string; mtimeMs: number }>;
  try {
    packs = readdirSync(dir)
      .filter((n) => n.startsWith('pack-') && n.endsWith('.idx'))
      .map((n) => ({ base: join(dir, n.slice(0, -'.idx'.length)), mtimeMs: statSync(join(dir, n)).mtimeMs }));
  } catch {
    return undefined;
  }
  packs.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const name = Buffer.from(sha, 'hex');
  for (const p of packs.slice(0, MAX_PACKS_SEARCHED)) {
    const offset = offsetIn(`${p.base}.idx`, name);
    if (offset === undefined) continue;
    const entry = readRange(`${p.base}.pack`, { from: offset }, 1);
    if (!entry || entry.bytes.length !== 1) return undefined;
    return TYPES[(entry.bytes[0]! >> 4) & 7];
  }
  return undefined;
}
