/**
 * What only an operator can do: bring unavailable or degraded peers back,
 * lift an all-peers-down halt or a confirmed `blocked` stop, forgive a failure streak, and (with
 * changed goals) have the gates evaluated again. Two ways, both explicit: `peers loop --reset-peer <name|all>`, or
 * changing `.peers/config.yaml`/`goals.yaml` (a new snapshot digest at start means someone acted —
 * e.g. fixed a key or a model name — so every peer gets a fresh start). Also keeps the state's peer
 * list in step with the config.
 */
import { InputError } from '../cli/errors.ts';
import type { LoopState } from '../state/state-schema.ts';
import { freshPeerHealth } from '../state/state-schema.ts';
import { resetPeerHealth } from './peer-health.ts';

/** Peers added to or removed from config: keep survivors, resume with the previously active peer. */
export function syncPeerOrder(state: LoopState, names: string[]): LoopState {
  if (state.peer_order.length === names.length && state.peer_order.every((p, i) => p === names[i])) return state;
  const active = state.peer_order[state.turn_index];
  const peers = Object.fromEntries(names.map((n) => [n, state.peers[n] ?? freshPeerHealth()]));
  const idx = active ? names.indexOf(active) : -1;
  return { ...state, peer_order: [...names], peers, turn_index: Math.max(0, idx), attempts: 0 };
}

export type OperatorActions = { configChanged: boolean; resetPeers: string[] };

export function applyOperatorActions(state: LoopState, a: OperatorActions): { state: LoopState; notes: string[] } {
  const notes: string[] = [];
  let targets: string[] = [];
  if (a.configChanged) {
    targets = state.peer_order;
  } else if (a.resetPeers.length) {
    for (const name of a.resetPeers) {
      if (name !== 'all' && !state.peers[name]) {
        throw new InputError(`--reset-peer ${name}: no such peer (peers: ${state.peer_order.join(', ')})`, { hint: 'pass a peer name from .peers/config.yaml, or all' });
      }
    }
    targets = a.resetPeers.includes('all') ? state.peer_order : a.resetPeers;
  }
  const peers = { ...state.peers };
  for (const name of targets) {
    const h = peers[name]!;
    if (h.state === 'healthy') continue;
    peers[name] = resetPeerHealth(h);
    notes.push(`peer ${name} reset from ${h.state} to healthy (${a.configChanged ? 'config changed since the last run' : '--reset-peer'})`);
  }
  const anyHealthy = state.peer_order.some((p) => peers[p]?.state === 'healthy');
  const halted = state.halted && anyHealthy ? null : state.halted;
  if (state.halted && !halted) notes.push(`halt lifted (${state.halted.reason})`);
  // The peers said the task cannot be done as specified; a changed config or goals is the operator's answer.
  const blocked = state.blocked?.confirmed_by && a.configChanged ? null : state.blocked;
  if (state.blocked?.confirmed_by && !blocked) notes.push(`blocked stop lifted (${state.blocked.by}: ${state.blocked.reason.slice(0, 120)})`);
  const next: LoopState = { ...state, peers, halted, blocked };
  // A fresh start for the peers (or any explicit --reset-peer) also forgives the failure streak
  // that stopped the last run: otherwise `budget:max_consecutive_failures` could never be lifted.
  if ((notes.length || targets.length) && state.budget.consecutive_failures > 0) {
    notes.push(`failure streak of ${state.budget.consecutive_failures} forgiven (${a.configChanged ? 'config changed since the last run' : '--reset-peer'})`);
    next.budget = { ...next.budget, consecutive_failures: 0 };
  }
  // Changed goals make the recorded gate results stale: evaluate them again, with fresh red streaks
  // (a run stopped as stuck:<gate> resumes once the operator changed the gate or its settings).
  if (a.configChanged && (state.gates.head !== null || Object.keys(state.gates.red_streak).length)) {
    next.gates = { ...next.gates, head: null, red_streak: {} };
    notes.push('config or goals changed: the hard gates are evaluated again, red streaks cleared');
  }
  return { state: next, notes };
}
