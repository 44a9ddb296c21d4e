/**
 * A small seeded PRNG (mulberry32) and the helpers the fuzz and property tests draw from, so a
 * failing case is replayed exactly from its seed.
 */
export type Random = {
  seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
};

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { seed, next, int, pick: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

/** The seed from `envName` when set (to replay a failure), else `fallback` (the fixed CI seed). */
export function seedFrom(envName: string, fallback: number): number {
  const v = process.env[envName];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}
