/**
 * A dead container of the pod (the egress proxy, the auth sidecar, a runner) makes every turn fail
 * without it being any peer's doing. The loop learns it from the lifeline (sandbox/lifeline.ts:
 * each container holds a connection, the kernel closes it when the container dies) and holds the
 * run until the container is back (`peers up` restarts it): no turn starts, no failure is charged,
 * and `peers status`/`ls` say `degraded: egress down` from what is recorded here.
 * docs/ARCHITECTURE.md, "A dead sidecar".
 */
import type { LoopState } from '../state/state-schema.ts';

/** The loop's view of its pod: which of its containers are down now, and a wait for the next change. */
export type PodHealth = {
  down(): string[];
  changed(signal: AbortSignal): Promise<void>;
  /**
   * Resolves once every container (or every one of `only` in the pod) serves, or at `signal`, or
   * after `timeoutMs` with those that never came (down from then on).
   */
  started?(signal: AbortSignal, timeoutMs: number, only?: readonly string[]): Promise<string[]>;
};

/**
 * The containers a gate probe uses: the setup and gates runners, and the egress proxy their
 * private 127.0.0.1:3128 leads to (installs and tests that fetch). The loop's first probe starts
 * once these serve, while the pod's members (workspace, auth, bridge), which only a turn needs,
 * are still starting; the first turn waits for every container.
 */
export const GATE_PROBE_ROLES: readonly string[] = ['setup', 'gates', 'egress'];

/**
 * How long a starting loop waits for its pod's containers before the first tick: `peers up` starts
 * them all at once, so they usually serve within a second; past this one that never came counts
 * as down (the run holds, as for a container that died: `peers up` restarts it).
 */
export const POD_START_WAIT_MS = 120_000;

/** `degraded: egress down`, `degraded: auth, egress down`. */
export function formatDegraded(down: readonly string[]): string {
  return `degraded: ${[...down].sort().join(', ')} down`;
}

/** The state with the pod's health recorded, and one line to log when it changed. */
export function notePodHealth(state: LoopState, down: readonly string[], now = new Date()): { state: LoopState; line: string | null } {
  const sorted = [...new Set(down)].sort();
  const was = state.degraded?.down ?? [];
  if (sorted.join() === was.join()) return { state, line: null };
  if (!sorted.length) {
    return { state: { ...state, degraded: null }, line: `peers: ${was.join(', ')} ${was.length > 1 ? 'are' : 'is'} back: the run goes on` };
  }
  const since = state.degraded?.since ?? now.toISOString();
  return {
    state: { ...state, degraded: { down: sorted, since } },
    line: `peers: ${formatDegraded(sorted)}: the run holds (no turn starts) until ${sorted.length > 1 ? 'they are' : 'it is'} back; \`peers up\` restarts ${sorted.length > 1 ? 'them' : 'it'}`,
  };
}

/**
 * A failed turn that ended while a container of the pod was down is not the peer's failure: the
 * tick is recorded with the cause, neutral like a rate limit (tick.ts finalizeTick).
 */
export function podDownCause(down: readonly string[]): string {
  return `${[...down].sort().join(', ')} down during the turn (not charged to the peer)`;
}
