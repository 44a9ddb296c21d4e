/** Builders for the pure-core unit tests: settings and observations with sensible defaults. */
import type { LoopSettings } from '../../../src/loop/settings.ts';
import type { TickObservation } from '../../../src/loop/tick.ts';
import { freshState, type LoopState } from '../../../src/state/state-schema.ts';

export function settings(over: Partial<LoopSettings> = {}): LoopSettings {
  return {
    peers: [
      { name: 'a', tool: 'custom' },
      { name: 'b', tool: 'custom' },
    ],
    budget: { maxTicks: 200, maxRuntimeS: 21600, maxConsecutiveFailures: 5, usdMode: 'hard' },
    health: { maxRetries: 1, recoveryInterval: 8 },
    goals: { convergenceN: 2, stuckHaltAfter: 5, stuckHaltGates: ['tests-pass', 'no-prior-regression'], softConsensusRequired: true },
    skeptic: true,
    backoffBaseMs: 15000,
    ...over,
  };
}

export function state(order = ['a', 'b']): LoopState {
  return freshState(order, new Date('2026-01-01T00:00:00Z'));
}

export function obs(s: LoopState, over: Partial<TickObservation> = {}): TickObservation {
  const peer = over.peer ?? s.peer_order[s.turn_index]!;
  return {
    tick: s.tick + 1,
    peer,
    tool: 'custom',
    turn_index: s.peer_order.indexOf(peer),
    skeptic: false,
    classification: 'success',
    exit_code: 0,
    ended_by: 'exit',
    duration_ms: 1000,
    success: true,
    credit: 1,
    soft_fail_reason: null,
    halt: null,
    matched: null,
    tokens_this_tick: 0,
    usd_this_tick: 0,
    head_before: 'aaaa',
    head_after: 'bbbb',
    handoff_sha: 'bbbb',
    dirty_paths: [],
    new_blocking_bugs: 0,
    truncated: false,
    truncated_streams: [],
    warnings_emitted: [],
    stdout_tail: '',
    stderr_tail: '',
    prompt_file: '/x',
    argv: [],
    soft_status: null,
    anti_cheat: null,
    soft_reviews_ingested: 0,
    soft_reviews_rejected: 0,
    ...over,
  };
}

export const fail = { success: false, credit: 0 as const, classification: 'process-fail' as const, exit_code: 1 };
