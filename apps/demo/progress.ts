/**
 * The demo's live progress: one line per tick (peer, result, the gates at the commit it left),
 * read from the loop's own records in the state directory (runs.jsonl, state.json), never from
 * its log text. A tick's line waits until the loop has judged that tick's HEAD, because gates run
 * at the start of the next tick; when the run ends the last judgement is already in state.json.
 */
import { existsSync } from 'node:fs';
import { readRunLog, tickLines, type TickLine } from '../../src/state/run-log.ts';
import { loadState } from '../../src/state/state-store.ts';
import { statePaths } from '../../src/state/paths.ts';
import type { LoopState } from '../../src/state/state-schema.ts';

export type GateView = Record<string, 'pass' | 'fail'>;

export type ProgressEvent =
  | { kind: 'start'; head: string; gates: GateView }
  | { kind: 'tick'; tick: number; peer: string; skeptic: boolean; success: boolean; result: string; head: string | null; gates: GateView | null; durationMs: number; tokens: number; usd: number };

function gatesOf(state: LoopState): GateView {
  const out: GateView = {};
  for (const [id, r] of Object.entries(state.gates.results)) out[id] = r.state;
  return out;
}

function resultOf(t: TickLine): string {
  if (t.success) return 'handoff';
  const result = t.classification === 'success' ? 'no handoff' : t.classification;
  return typeof t.cause === 'string' ? `${result}: ${t.cause}` : result;
}

/** Polls a state directory and reports each tick once, in order. */
export class ProgressWatcher {
  private startShown = false;
  private shown = 0;

  constructor(
    private readonly stateDir: string,
    private readonly emit: (e: ProgressEvent) => void,
  ) {}

  /** `final`: the loop has exited, so print what is known even without a later gate run. */
  poll(final = false): void {
    const paths = statePaths(this.stateDir);
    if (!existsSync(paths.state)) return;
    let state: LoopState | undefined;
    try {
      state = loadState(paths.state);
    } catch {
      return; // mid-write by another process is impossible (atomic), but a bad file must not kill the demo
    }
    if (!state) return;
    if (!this.startShown && state.gates.head && state.tick === 0) {
      this.startShown = true;
      this.emit({ kind: 'start', head: state.gates.head, gates: gatesOf(state) });
    }
    const ticks = existsSync(paths.runs) ? tickLines(readRunLog(paths.runs)) : [];
    if (!this.startShown && ticks.length > 0) {
      // The first turn ended before a poll saw its starting gates; its log line recorded them.
      this.startShown = true;
      const g = ticks[0]!.gates as { head?: string; hard?: Record<string, string> } | undefined;
      const gates: GateView = {};
      for (const [id, st] of Object.entries(g?.hard ?? {})) if (st === 'pass' || st === 'fail') gates[id] = st;
      if (g?.head) this.emit({ kind: 'start', head: g.head, gates });
    }
    while (this.shown < ticks.length) {
      const t = ticks[this.shown]!;
      const head = (t.head_after as string | null) ?? null;
      const judged = head !== null && state.gates.head === head;
      if (!judged && !final) return;
      this.shown++;
      this.emit({
        kind: 'tick',
        tick: t.tick,
        peer: t.peer,
        skeptic: t.skeptic === true,
        success: t.success,
        result: resultOf(t),
        head,
        gates: judged ? gatesOf(state) : null,
        durationMs: Number(t.duration_ms ?? 0),
        tokens: Number(t.tokens_this_tick ?? 0),
        usd: Number(t.usd_this_tick ?? 0),
      });
    }
  }
}

const mark = (s: 'pass' | 'fail') => (s === 'pass' ? 'pass' : 'FAIL');

export function formatGates(g: GateView | null): string {
  if (!g) return 'gates: not judged';
  return `gates: ${Object.entries(g)
    .map(([id, s]) => `${id} ${mark(s)}`)
    .join(', ')}`;
}

export function formatProgress(e: ProgressEvent): string {
  if (e.kind === 'start') return `  start    ${e.head.slice(0, 8)}  ${formatGates(e.gates)}`;
  const who = `${e.peer}${e.skeptic ? ' (skeptic)' : ''}`;
  const cost = `${Math.round(e.durationMs / 100) / 10}s, ${e.tokens.toLocaleString('en-US')} tokens, $${e.usd.toFixed(4)}`;
  return `  tick ${e.tick}   ${(e.head ?? 'no commit').slice(0, 8)}  ${who}: ${e.result} (${cost})  ${formatGates(e.gates)}`;
}
