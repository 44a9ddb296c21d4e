/**
 * Results built in TypeScript carry camelCase field names; their JSON carries snake_case. Applied
 * by a command to objects whose keys are field names it knows, never to maps keyed by data (a gate
 * id or a peer name is printed as the user wrote it).
 */
export const snakeCase = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** `value`'s own keys in snake_case (one level; nested objects as they are). */
export function snakeKeys<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), v]));
}

/** An archived run (src/state/run-archive.ts) as JSON. */
export function archivedRunJson(a: { id: string; path: string; stopReason: string | null; tick: number | null; spentUsd: number | null }) {
  return { id: a.id, path: a.path, stop_reason: a.stopReason, tick: a.tick, spent_usd: a.spentUsd };
}
