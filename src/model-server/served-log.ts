/**
 * What the model server served, one record per request, kept in memory and optionally appended
 * to a JSONL file (`--log`), so tests and rehearsals can compare a CLI's or the loop's token and
 * USD totals with what was really served. Records carry no timestamps: the same scenario gives
 * the same log.
 */
import { appendLineSafe } from '../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { ZERO_USAGE, type Api, type FaultKind, type Usage } from './scenario-schema.ts';

export type ServedKind = 'reply' | 'fault' | 'auxiliary' | 'exhausted' | 'error';

export type ServedRecord = {
  seq: number;
  api: Api;
  endpoint: string;
  peer?: string;
  session?: string;
  tick?: number;
  tick_name?: string;
  step?: number;
  kind: ServedKind;
  status: number;
  stream: boolean;
  model?: string;
  effort?: string;
  fault?: FaultKind;
  tool_calls?: string[];
  /** Tokens reported to the CLI in this response (zero for faults and errors). */
  usage: Usage;
  cost_usd: number | null;
  message?: string;
};

export type UsageTotals = Usage & { cost_usd: number; replies: number };

/** A served log is a few hundred bytes per request; the report reads no more than this of it. */
const SERVED_LOG_READ_LIMIT = 16 * MiB;

export class ServedLog {
  readonly records: ServedRecord[] = [];
  constructor(private readonly file?: string) {}

  add(record: Omit<ServedRecord, 'seq'>): ServedRecord {
    const full = { seq: this.records.length, ...record };
    this.records.push(full);
    if (this.file) appendLineSafe(this.file, JSON.stringify(full));
    return full;
  }

  /** Sum of usage and cost served, optionally for one peer only. */
  totals(peer?: string): UsageTotals {
    const t: UsageTotals = { ...ZERO_USAGE, cost_usd: 0, replies: 0 };
    for (const r of this.records) {
      if (peer !== undefined && r.peer !== peer) continue;
      t.input_tokens += r.usage.input_tokens;
      t.output_tokens += r.usage.output_tokens;
      t.cache_read_tokens += r.usage.cache_read_tokens;
      t.cache_write_tokens += r.usage.cache_write_tokens;
      t.reasoning_tokens += r.usage.reasoning_tokens;
      t.cost_usd += r.cost_usd ?? 0;
      if (r.kind === 'reply') t.replies += 1;
    }
    t.cost_usd = Math.round(t.cost_usd * 1e9) / 1e9;
    return t;
  }
}

/** The lines of a served log; none when the file is absent or unreadable. */
function servedLogLines(file: string): string[] {
  try {
    return (readTextIfExists(file, SERVED_LOG_READ_LIMIT) ?? '').split('\n');
  } catch {
    return [];
  }
}

/** One record of a served log; undefined for a line cut short by a crash (it says nothing). */
function servedRecord(line: string): Partial<ServedRecord> | undefined {
  try {
    return JSON.parse(line) as Partial<ServedRecord>;
  } catch {
    return undefined;
  }
}

/**
 * Why the scripted model had nothing more to say, from a served log (`rehearsal/served.jsonl`):
 * each peer's last "peer 'x' has only N scripted tick(s)" of the requests past the end of the script,
 * the peer first seen first. Empty when the file is absent, unreadable or the script never ran out. A
 * rehearsal that ran out ends on failed ticks (no commit), and the report says it was the script.
 */
export function scriptEnds(file: string): string[] {
  // Per peer, the last: a rehearsal continued with more ticks ran out at a later one.
  const ends = new Map<string, string>();
  for (const line of servedLogLines(file)) {
    if (!line.includes('"exhausted"')) continue;
    const r = servedRecord(line);
    if (r?.kind === 'exhausted' && typeof r.message === 'string') ends.set(typeof r.peer === 'string' ? r.peer : r.message, r.message);
  }
  return [...ends.values()];
}

/**
 * How many of each peer's scripted ticks a served log shows were started: a rehearsal resumed
 * after `peers down` (a new model server on the same `rehearsal/served.jsonl`) goes on at each
 * peer's next tick instead of replaying the script from its first, whose commits are already made.
 * A session past the script's end started no scripted tick: once the user adds ticks, those are
 * served. Empty when the file is absent or unreadable (the script starts at its first tick).
 */
export function ticksStartedIn(file: string): Map<string, number> {
  const started = new Map<string, number>();
  for (const line of servedLogLines(file)) {
    const r = line ? servedRecord(line) : undefined;
    if ((r?.kind === 'reply' || r?.kind === 'fault') && typeof r.peer === 'string' && Number.isInteger(r.tick)) started.set(r.peer, Math.max(started.get(r.peer) ?? 0, r.tick! + 1));
  }
  return started;
}
