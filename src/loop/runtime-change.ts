/**
 * `peers up --max-runtime VALUE`: a new runtime cap (`21600`, `6h`, `1h30m`) or an extension of
 * the current one (`+6h`). The cap is peer turn time, as budget.max_runtime_s counts it.
 */
import { InputError } from '../cli/errors.ts';

export type RuntimeChange = { kind: 'set' | 'extend'; seconds: number };

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** A longer cap than this is a typo, not a plan (and would overflow nothing, but help no one). */
const MAX_RUNTIME_S = 366 * 86_400;

export function parseRuntimeChange(text: string): RuntimeChange {
  const raw = text.trim();
  const extend = raw.startsWith('+');
  const body = extend ? raw.slice(1) : raw;
  let seconds: number;
  if (/^\d+$/.test(body)) seconds = Number(body);
  else if (/^(\d+[smhd])+$/.test(body)) seconds = [...body.matchAll(/(\d+)([smhd])/g)].reduce((n, m) => n + Number(m[1]) * UNIT_S[m[2]!]!, 0);
  else throw new InputError(`--max-runtime ${text}: expected seconds or a duration like 6h, 90m, 1h30m, or +6h to extend the current cap`, { hint: 'e.g. --max-runtime 8h, or --max-runtime +2h on a running run' });
  if (seconds <= 0) throw new InputError(`--max-runtime ${text}: must be more than zero`);
  if (seconds > MAX_RUNTIME_S) throw new InputError(`--max-runtime ${text}: more than a year`);
  return { kind: extend ? 'extend' : 'set', seconds };
}

/** The cap after the change, given the cap in force now. */
export function applyRuntimeChange(currentS: number, change: RuntimeChange): number {
  return Math.min(MAX_RUNTIME_S, change.kind === 'extend' ? currentS + change.seconds : change.seconds);
}

/** 21600 → "6h", 5400 → "1h30m", 45 → "45s". */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.round(seconds));
  const parts: string[] = [];
  for (const [unit, n] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${unit}`);
      s %= n;
    }
  }
  if (s || !parts.length) parts.push(`${s}s`);
  return parts.join('');
}
