/**
 * Gate time per tick, as the tick line records it (runs.jsonl `gate_time`; the report's gate
 * timeline and `status --json` read it back). Its own file so readers of the shape load no loop code.
 */
import { z } from 'zod';
import type { GateInput } from './tick.ts';

/**
 * What the tick line records of the gates' time (the report's gate timeline, `status --json`): the
 * gates measured synchronously during the tick (cached passes cost nothing and are left out), the
 * background measurements that finished during it, with the commit each judged, and the job still
 * running when the tick ended.
 */
export const GateTimeSchema = z.strictObject({
  sync_ms: z.number().min(0),
  sync: z.array(z.string()),
  background_ms: z.number().min(0),
  background: z.array(z.strictObject({ id: z.string(), head: z.string(), state: z.enum(['pass', 'fail']), duration_ms: z.number().min(0) })),
  running: z.strictObject({ head: z.string(), ids: z.array(z.string()) }).nullable(),
});
export type GateTime = z.infer<typeof GateTimeSchema>;

export function gateTime(sync: GateInput[], finished: { head: string; results: GateInput[] }[], running: { head: string; ids: string[] } | null): GateTime {
  const measured = sync.filter((r) => !r.cached);
  const background = finished.flatMap((f) => f.results.map((r) => ({ id: r.id, head: f.head, state: r.state, duration_ms: Math.max(0, Math.round(r.durationMs)) })));
  return {
    sync_ms: measured.reduce((n, r) => n + Math.max(0, Math.round(r.durationMs)), 0),
    sync: measured.map((r) => r.id),
    background_ms: background.reduce((n, b) => n + b.duration_ms, 0),
    background,
    running,
  };
}
