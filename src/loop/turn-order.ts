/**
 * Whose turn it is (an unavailable peer is never scheduled).
 * Round-robin over `peer_order`; a failing peer gets `max_retries + 1` attempts before the turn
 * rotates; a degraded peer is skipped until `recovery_interval` ticks after it last failed; a peer
 * asleep for its usage limit is skipped until it wakes (peer-sleep.ts), and one the operator paused
 * is skipped; when no peer can take a turn the run waits for a sleeper or for `peers resume`
 * (tick.ts), or halts.
 */
import type { LoopState, PeerHealth } from '../state/state-schema.ts';
import type { LoopSettings } from './settings.ts';
import { isAsleep } from './peer-sleep.ts';

export type TurnOutcome = 'success' | 'failure' | 'rate-limited';

export function recoveryDue(h: PeerHealth, tick: number, interval: number): boolean {
  return h.state === 'degraded' && interval > 0 && h.cooldown_from_tick !== null && tick - h.cooldown_from_tick >= interval;
}

/** `nowMs` decides who is asleep; without it every peer with a usage-limit wait counts as asleep. */
export function eligible(state: LoopState, peer: string, s: LoopSettings, nowMs = Number.NEGATIVE_INFINITY): boolean {
  const h = state.peers[peer];
  if (!h) return false;
  if (isAsleep(h, nowMs)) return false;
  // Paused by the operator: skipped without any change to its health or the turn bookkeeping.
  if (s.paused?.includes(peer)) return false;
  if (h.state === 'healthy') return true;
  if (h.state === 'degraded') return recoveryDue(h, state.tick, s.health.recoveryInterval);
  return false;
}

/** The peer to run now, scanning forward from `turn_index`; null when nobody can take a turn. */
export function pickPeer(state: LoopState, s: LoopSettings, nowMs?: number): { peer: string; index: number } | null {
  const n = state.peer_order.length;
  for (let step = 0; step < n; step++) {
    const index = (state.turn_index + step) % n;
    const peer = state.peer_order[index]!;
    if (eligible(state, peer, s, nowMs)) return { peer, index };
  }
  return null;
}

/** The peers asleep at `nowMs` that could take a turn once awake (a sleeper that is also down waits for nobody). */
export function sleepers(state: LoopState, s: LoopSettings, nowMs: number): string[] {
  return state.peer_order.filter((p) => state.peers[p] && isAsleep(state.peers[p]!, nowMs) && eligible(state, p, s, Number.POSITIVE_INFINITY));
}

/**
 * True when no peer will ever get a turn without operator action: every peer is unavailable or
 * degraded. (A lone degraded peer waiting for its recovery interval still counts as down: with
 * no one else to run, the tick counter cannot advance to make it due.)
 */
export function allPeersDown(state: LoopState): boolean {
  return state.peer_order.every((p) => state.peers[p]?.state !== 'healthy');
}

/** Turn bookkeeping after a turn by the peer at `index`. */
export function advanceTurn(state: LoopState, index: number, outcome: TurnOutcome, s: LoopSettings): Pick<LoopState, 'turn_index' | 'attempts'> {
  const n = state.peer_order.length;
  const next = (index + 1) % n;
  if (outcome !== 'failure') return { turn_index: next, attempts: 0 };
  const attempts = (index === state.turn_index ? state.attempts : 0) + 1;
  if (attempts > s.health.maxRetries) return { turn_index: next, attempts: 0 };
  return { turn_index: index, attempts };
}

/**
 * The skeptic for a re-audit of `authors`' changes: the first peer in turn order that can take a
 * turn and is not the only author under audit (a peer never audits its own change). With no
 * authors to audit, anyone may. Null when nobody qualifies (the audit then waits).
 */
export function pickSkeptic(state: LoopState, s: LoopSettings, authors: string[], nowMs?: number): { peer: string; index: number; audits: string[] } | null {
  const n = state.peer_order.length;
  for (let step = 0; step < n; step++) {
    const index = (state.turn_index + step) % n;
    const peer = state.peer_order[index]!;
    if (!eligible(state, peer, s, nowMs)) continue;
    const audits = authors.filter((a) => a !== peer);
    if (authors.length === 0 || audits.length > 0) return { peer, index, audits };
  }
  return null;
}
