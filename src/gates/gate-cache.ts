/**
 * Remembered passes of cacheable hard goals, keyed by (HEAD commit, digest of the goal definition):
 * the same command judged by the same expression on the same committed tree gives the same answer,
 * so an expensive suite need not run again until either changes. Only passes are remembered, so a
 * flaky failure is always retried.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { z } from 'zod';
import type { HardGoal } from '../config/goals-schema.ts';

const CACHE_VERSION = 1;
/** Enough for every goal of a long run; older entries are dropped first. */
const MAX_ENTRIES = 1000;

type Entry = { goal: string; head: string; durationMs: number; at: string };
type CacheFile = { version: number; entries: Record<string, Entry> };

/** sha256 over the goal's definition with keys sorted, so YAML key order does not matter. */
export function goalDigest(goal: HardGoal): string {
  const canonical = JSON.stringify(goal, Object.keys(goal).sort());
  return createHash('sha256').update(canonical).digest('hex');
}

export function cacheKey(head: string, goal: HardGoal): string {
  return `${head}:${goalDigest(goal)}`;
}

const EntrySchema = z.object({ goal: z.string(), head: z.string(), durationMs: z.number(), at: z.string() });

/** The cache; a missing, corrupt or foreign file (or entry) only costs re-running the gates. */
export function readGateCache(path: string): CacheFile {
  let raw: unknown;
  try {
    const text = readTextIfExists(path, 8 * MiB);
    if (text === undefined) return { version: CACHE_VERSION, entries: {} };
    raw = JSON.parse(text);
  } catch {
    return { version: CACHE_VERSION, entries: {} };
  }
  const file = raw as Partial<CacheFile> | null;
  if (file?.version !== CACHE_VERSION || typeof file.entries !== 'object' || file.entries === null || Array.isArray(file.entries)) return { version: CACHE_VERSION, entries: {} };
  // Entries of the wrong shape are dropped one by one (a wrong-typed `at` broke the eviction sort).
  const entries: Record<string, Entry> = {};
  for (const [key, value] of Object.entries(file.entries)) {
    const entry = EntrySchema.safeParse(value);
    if (entry.success) entries[key] = entry.data;
  }
  return { version: CACHE_VERSION, entries };
}

export function lookupPass(cache: CacheFile, head: string, goal: HardGoal): Entry | undefined {
  const entry = cache.entries[cacheKey(head, goal)];
  return entry && entry.goal === goal.id && entry.head === head ? entry : undefined;
}

/** Re-reads the file before writing so concurrent evaluators (loop, verify) merge, not clobber. */
export function recordPasses(path: string, passes: { head: string; goal: HardGoal; durationMs: number }[]): void {
  if (passes.length === 0) return;
  const cache = existsSync(path) ? readGateCache(path) : { version: CACHE_VERSION, entries: {} };
  const at = new Date().toISOString();
  for (const p of passes) cache.entries[cacheKey(p.head, p.goal)] = { goal: p.goal.id, head: p.head, durationMs: p.durationMs, at };
  const keys = Object.keys(cache.entries);
  if (keys.length > MAX_ENTRIES) {
    keys.sort((a, b) => cache.entries[a]!.at.localeCompare(cache.entries[b]!.at));
    for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete cache.entries[k];
  }
  writeFileAtomic(path, `${JSON.stringify(cache, null, 1)}\n`);
}
