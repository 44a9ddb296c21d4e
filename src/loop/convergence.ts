/**
 * When is the run done? (docs/ARCHITECTURE.md, The tick protocol.) All hard gates green, no open blocking
 * (crit/high/med) bug in a ledger that could be read, soft consensus (unless not required), every
 * gate-surface change approved by a peer other than its author, every test marker excused by a
 * peer other than its author (whether or not the goals run `no-new-skip-markers`), nothing the
 * peers committed under `.peers/` nor a symlink out of the repository, and `convergence_n` consecutive
 * clean ticks; then skeptic ticks (unless disabled) until every peer's changes have been re-audited
 * by a peer that did not write them; converged again after that → `complete`. Losing convergence
 * at any pre-tick re-arms the skeptic.
 */
import type { LoopState } from '../state/state-schema.ts';
import type { LoopSettings } from './settings.ts';

export type ConvergenceInput = {
  hardGoalIds: string[];
  /** Open crit/high/med bugs in the ledger. */
  openBlockingBugs: number;
  /** False when the ledger could not be read: convergence is held, never assumed clean. */
  ledgerReadable: boolean;
  /** Whether every soft goal has reached consensus; true when there are none. */
  softConsensus: boolean;
  /** Gate-surface changes no other peer has approved yet; null when they could not be determined (held). */
  unapprovedGateSurface: number | null;
  /**
   * Test markers since the baseline no peer but their author excused (unexcused-markers.ts), held
   * whatever the goals file says; null when they could not be determined (held).
   */
  unexcusedMarkers: number | null;
  /**
   * Code the gates run and no reviewer reads: files the run's commits put under `.peers/` that are
   * not the loop's snapshot of them (committed-control-plane.ts), and committed symlinks out of
   * the repository (escaping-symlinks.ts); null when they could not be determined (held).
   */
  unreadCode: number | null;
  /** Peers whose changes since their last audit no skeptic tick by another peer has re-audited. */
  unauditedAuthors: string[];
  /**
   * Gates green only with the run's test changes (src/protocol/baseline-tests.ts); undefined until
   * measured, which happens only once everything else has converged.
   */
  heldByTestChanges?: string[];
};

export type ConvergenceDecision = { kind: 'continue'; skepticReset: boolean } | { kind: 'skeptic'; audits: string[] } | { kind: 'complete' };

export function hardGatesGreen(state: LoopState, ids: string[]): boolean {
  return ids.every((id) => state.gates.results[id]?.state === 'pass');
}

export function converged(state: LoopState, i: ConvergenceInput, s: LoopSettings): boolean {
  return (
    hardGatesGreen(state, i.hardGoalIds) &&
    i.ledgerReadable &&
    i.openBlockingBugs === 0 &&
    i.unapprovedGateSurface === 0 &&
    i.unexcusedMarkers === 0 &&
    i.unreadCode === 0 &&
    (i.heldByTestChanges === undefined || i.heldByTestChanges.length === 0) &&
    (!s.goals.softConsensusRequired || i.softConsensus) &&
    state.clean_ticks >= s.goals.convergenceN &&
    (!s.goals.requireHealthyPeers || Object.values(state.peers).every((p) => p.state === 'healthy'))
  );
}

/**
 * Whether the run may converge once the gates have been measured with the tests it started with:
 * the loop measures them only then (they cost a gate run), and must before any `complete`.
 */
export function needsBaselineTests(state: LoopState, i: ConvergenceInput, s: LoopSettings): boolean {
  return i.heldByTestChanges === undefined && converged(state, i, s);
}

export function decideConvergence(state: LoopState, i: ConvergenceInput, s: LoopSettings): ConvergenceDecision {
  if (needsBaselineTests(state, i, s)) return { kind: 'continue', skepticReset: false };
  if (!converged(state, i, s)) return { kind: 'continue', skepticReset: state.skeptic_ran_at_tick !== null };
  if (!s.skeptic) return { kind: 'complete' };
  if (i.unauditedAuthors.length > 0) return { kind: 'skeptic', audits: i.unauditedAuthors };
  if (state.skeptic_ran_at_tick === null) return { kind: 'skeptic', audits: [] };
  return { kind: 'complete' };
}

/**
 * Clean-tick counter after a turn: rate-limited → unchanged; a failed turn, a turn
 * that filed a new blocking bug or one that declared the task blocked → 0; otherwise +1.
 */
export function nextCleanTicks(current: number, i: { success: boolean; rateLimited: boolean; newBlockingBugs: number; blocked?: boolean }): number {
  if (i.rateLimited) return current;
  if (!i.success || i.newBlockingBugs > 0 || i.blocked) return 0;
  return current + 1;
}

/**
 * Skeptic marks after a clean skeptic tick by `skeptic` that began at `headBefore`, a HEAD covering
 * everything the audited authors wrote: every other peer's changes are now audited up to `headAfter`
 * (they made none during the tick). The skeptic's own mark moves only if it had nothing unaudited
 * before the tick; to `headAfter` when what it committed during the tick changed prose only
 * (notes of its audit: a document at the top or under docs/ that no code names, prose-paths.ts),
 * else to `headBefore`, so that code it commits in its own re-audit is its change like any other,
 * for another peer's skeptic tick to read. A `.txt` that src/calc.mjs loads is code. Moving
 * it to `headAfter` always let an implementer whose skeptic tick was the run's last put the bug
 * back in that tick, read by nobody (SECURITY.md, "The skeptic never audits its own change").
 */
export function advanceAuditMarks(
  marks: Record<string, string>,
  peers: string[],
  skeptic: string,
  tick: { skepticWasUnaudited: boolean; skepticChangedCode: boolean; headBefore: string; headAfter: string },
): Record<string, string> {
  const next = { ...marks };
  for (const p of peers) {
    if (p !== skeptic) next[p] = tick.headAfter;
    else if (!tick.skepticWasUnaudited) next[p] = tick.skepticChangedCode ? tick.headBefore : tick.headAfter;
  }
  return next;
}
