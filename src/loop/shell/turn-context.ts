/**
 * What one peer turn is given and what it gives back (runPeerTurn, peer-turn.ts): the places, the
 * adapters and the callbacks into the loop a turn needs (TurnContext), the turn the loop asks for
 * (TurnRequest) and what came of it (TurnOutcome). Kept apart from the turn itself so the loop's
 * other shell parts (control-plane-watch.ts) and the turn's fact readers (turn-fact-readers.ts)
 * name these shapes without importing the whole turn.
 */
import type { ProviderUpstream } from '../../config/provider.ts';
import type { PeersConfig } from '../../config/config-schema.ts';
import type { SoftGoal } from '../../config/goals-schema.ts';
import type { RunObserver } from '../../git/run-observer.ts';
import type { WorkspaceGit } from '../../git/workspace-git.ts';
import type { ControlPlaneEdit } from '../../protocol/control-plane-guard.ts';
import type { PeerRunner } from '../../proc/peer-runner.ts';
import type { LimitedLine } from '../../../auth-proxy/usage/usage-ledger.ts';
import type { LoopState } from '../../state/state-schema.ts';
import type { StatePaths } from '../../state/paths.ts';
import type { HistoryFacts } from './history-facts.ts';
import type { GateStates } from '../judge-turn.ts';
import type { GateInput, TickObservation } from '../tick.ts';

export type TurnContext = {
  /** The peers' repository as this process sees it: read as files only (hooks, config, a tag). */
  repo: string;
  /** The host loop's repository may be a `git worktree`; the run clone never is. */
  lenient: boolean;
  /** The trusted mirror every git read goes to (never the peers' repository). */
  observer: RunObserver;
  /** git in the peers' repository, run in the workspace (status, moving HEAD). */
  workspace: WorkspaceGit;
  /** Where the peer runs (the clone as the runner sees it: `/work` in the pod). */
  peerCwd: string;
  paths: StatePaths;
  config: PeersConfig;
  softGoals: SoftGoal[];
  runner: PeerRunner;
  signal: AbortSignal;
  env: Record<string, string>;
  history: HistoryFacts;
  /**
   * Evaluates the hard gates at a commit, but those named in `skip` (asked for test-only turns, to
   * see whether they flipped a gate, and for a turn's tests alone: tests-alone.ts).
   */
  probeGates: (head: string, skip?: string[]) => Promise<GateInput[]>;
  /** Whether the turn ending at `head` changed the frozen acceptance contract (refused by the loop anyway, contract-guard.ts). */
  touchesContract?: (head: string) => boolean;
  /**
   * The gates' states at the turn's starting commit once probeGates has run (it may have waited for
   * an expensive gate still being measured there); absent or null: the states the turn started with.
   */
  gatesBeforeSettled?: (head: string | null) => GateStates | null;
  /**
   * The limits the vendor reported during the turn, as the auth sidecar recorded them (in the pod);
   * absent outside the pod, where the CLI's own output is all there is.
   */
  vendorLimits?: () => Promise<Pick<LimitedLine, 'upstream' | 'limit' | 'reset_at' | 'source' | 'message'>[]>;
  /** In the pod: the auth sidecar's provider upstreams the peers are pointed at (src/config/provider.ts). */
  providers?: readonly ProviderUpstream[];
  /** The loop's log (one line each): notes about the turn's records that are not the peer's output. */
  log: (line: string) => void;
};

export type TurnRequest = {
  state: LoopState;
  peer: string;
  index: number;
  skeptic: boolean;
  /** For a skeptic turn: the authors it re-audits, and whether the skeptic itself has unaudited changes. */
  audits: string[];
  selfUnaudited: boolean;
  prompt: string;
  headBefore: string | null;
  extraWarnings: string[];
};

/** What a turn produced: its observation, and gate results it already measured at head_after. */
export type TurnOutcome = {
  obs: TickObservation;
  gates: { head: string; results: GateInput[] } | null;
  /**
   * The `.peers/` paths `headBefore..head` changed, read from the skip-marker scan's diff (no git
   * call of its own); null when that diff was not read whole. For the loop's control-plane warning.
   */
  controlPlane: { head: string; edits: ControlPlaneEdit[] } | null;
  /** The turn left uncommitted changes, to be discarded once its git locks are swept (leftover-work.ts). */
  discardUncommitted: boolean;
};
