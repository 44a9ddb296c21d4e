/**
 * Remembered passes of cacheable hard goals, keyed by (HEAD commit, digest of the goal definition):
 * the same command judged by the same expression on the same committed tree gives the same answer,
 * so an expensive suite need not run again until either changes. Only passes are remembered, so a
 * flaky failure is always retried.
 *
 * Only the loop reads and writes the cache (never a gate, never the gates container), and every
 * entry carries an HMAC under the loop's key: an entry written by anyone else — a gate's code on
 * the host, where it runs as the same user — fails the check and is ignored, so a forged "pass"
 * cannot turn a red gate green. In the pod the key lives in the loop's state dir (out of every
 * peer's reach), so the cache survives restarts; on the host it exists only in the loop's memory.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readFileCapped, MiB, readTextIfExists } from '../fs/safe-read.ts';
import { z } from 'zod';
import { InputError } from '../cli/errors.ts';
import { accessingFile, type FileKind } from '../fs/file-errors.ts';
import type { HardGoal } from '../config/goals-schema.ts';

// 3: an entry keeps the tests its pass ran (src/protocol/tests-run.ts), under the mac. 4: and the
// tests it named (test-names.ts): a pass cached without them would read as missing every named test.
const CACHE_VERSION = 4;
/** Enough for every goal of a long run; older entries are dropped first. */
const MAX_ENTRIES = 1000;
const KEY_BYTES = 32;

const EntrySchema = z.object({ goal: z.string(), head: z.string(), durationMs: z.number(), at: z.string(), testsRun: z.record(z.string(), z.number().int().nonnegative()).optional(), mac: z.string() });
type Entry = z.infer<typeof EntrySchema>;
type CacheFile = { version: number; entries: Record<string, Entry> };
export type GateCache = { file: CacheFile; key: Buffer };

/** sha256 over the goal's definition with keys sorted, so YAML key order does not matter. */
export function goalDigest(goal: HardGoal): string {
  const canonical = JSON.stringify(goal, Object.keys(goal).sort());
  return createHash('sha256').update(canonical).digest('hex');
}

export function cacheKey(head: string, goal: HardGoal): string {
  return `${head}:${goalDigest(goal)}`;
}

function mac(key: Buffer, k: string, e: Omit<Entry, 'mac'>): string {
  return createHmac('sha256', key).update(JSON.stringify([CACHE_VERSION, k, e.goal, e.head, e.durationMs, e.at, e.testsRun ?? null])).digest('hex');
}

function macOk(key: Buffer, k: string, e: Entry): boolean {
  if (typeof e.mac !== 'string' || !/^[0-9a-f]{64}$/.test(e.mac)) return false;
  return timingSafeEqual(Buffer.from(mac(key, k, e), 'hex'), Buffer.from(e.mac, 'hex'));
}

/** A key for this loop process only (host loops: gate code could read a key file). */
export function ephemeralCacheKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

const CACHE_KEY: FileKind = { what: 'gate cache key', hint: 'remove it: a new key is made and the gates run again' };

/** The key kept in the loop's state dir (the pod: no peer can reach it), created on first use. */
export function persistentCacheKey(path: string): Buffer {
  const key = accessingFile(path, CACHE_KEY, () => {
    if (!existsSync(path)) writeFileAtomic(path, randomBytes(KEY_BYTES), 0o600);
    return readFileCapped(path, 1024);
  });
  if (key.length !== KEY_BYTES) throw new InputError(`${CACHE_KEY.what}: ${key.length} bytes, not ${KEY_BYTES}`, { location: { file: path }, hint: CACHE_KEY.hint });
  return key;
}

export function readGateCache(path: string, key: Buffer): GateCache {
  const empty = { file: { version: CACHE_VERSION, entries: {} }, key };
  try {
    const text = readTextIfExists(path, 8 * MiB);
    if (text === undefined) return empty;
    const parsed = JSON.parse(text) as CacheFile;
    if (parsed.version !== CACHE_VERSION || typeof parsed.entries !== 'object' || parsed.entries === null) return empty;
    const entries: Record<string, Entry> = {};
    for (const [k, value] of Object.entries(parsed.entries)) {
      // Entries of the wrong shape are dropped one by one (a wrong-typed `at` broke the eviction sort).
      const e = EntrySchema.safeParse(value);
      if (e.success && macOk(key, k, e.data)) entries[k] = e.data;
    }
    return { file: { version: CACHE_VERSION, entries }, key };
  } catch {
    // A corrupt or foreign cache only costs re-running the gates.
    return empty;
  }
}

export function lookupPass(cache: GateCache, head: string, goal: HardGoal): Entry | undefined {
  const entry = cache.file.entries[cacheKey(head, goal)];
  return entry && entry.goal === goal.id && entry.head === head ? entry : undefined;
}

/** Re-reads the file before writing so concurrent writers merge, not clobber (foreign entries drop out). */
export function recordPasses(path: string, key: Buffer, passes: { head: string; goal: HardGoal; durationMs: number; testsRun?: Record<string, number> }[]): void {
  if (passes.length === 0) return;
  const cache = readGateCache(path, key).file;
  const at = new Date().toISOString();
  for (const p of passes) {
    const k = cacheKey(p.head, p.goal);
    const e = { goal: p.goal.id, head: p.head, durationMs: p.durationMs, at, ...(p.testsRun ? { testsRun: p.testsRun } : {}) };
    cache.entries[k] = { ...e, mac: mac(key, k, e) };
  }
  const keys = Object.keys(cache.entries);
  if (keys.length > MAX_ENTRIES) {
    keys.sort((a, b) => cache.entries[a]!.at.localeCompare(cache.entries[b]!.at));
    for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete cache.entries[k];
  }
  writeFileAtomic(path, `${JSON.stringify(cache, null, 1)}\n`);
}
