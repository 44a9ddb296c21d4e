/**
 * The hard gates as the loop measures them (docs/ARCHITECTURE.md, "Gates"): always on a checkout
 * of the trusted mirror through the run's gate probe (cache, fresh retries, checkout or the pod's
 * gates container), the cheap ones at each new HEAD before a tick, the `expensive` ones in the
 * background while a peer works (background-gates.ts). Every gate learns the run's baseline (the
 * checks never trust the tag), in the pod too (gates-remote.ts).
 */
import type { PeersConfig } from '../../config/config-schema.ts';
import { hardGoals, type GoalsFile, type HardGoal } from '../../config/goals-schema.ts';
import type { StatePaths } from '../../state/paths.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { cheapGoals, recordAtHead, recordProbe } from '../expensive-gates.ts';
import type { GateInput } from '../tick.ts';
import { BackgroundGates } from './background-gates.ts';
import type { GateProbe } from './gate-probe.ts';

export class HeadGates {
  /** `expensive` goals: measured in the background while a peer works, fresh before convergence. */
  readonly expensive: BackgroundGates;

  constructor(
    private readonly o: {
      probe: GateProbe;
      mirror: string;
      config: PeersConfig;
      goals: GoalsFile;
      paths: StatePaths;
      env: Record<string, string>;
      /** The run's baseline as state.json has it now. */
      baseline: () => string | undefined;
      signal: AbortSignal;
      log: (line: string) => void;
      /** When a measurement the next turn waits for is first said to be still going (then every minute). */
      slowNoticeMs?: number;
    },
  ) {
    this.expensive = new BackgroundGates(hardGoals(o.goals), (head, g, signal) => this.evaluate(head, g, signal), o.signal, o.log);
  }

  /** The hard gates at `head` (the cheap ones unless told), on a checkout from the trusted mirror. */
  evaluate(head: string, goals: HardGoal[] = cheapGoals(hardGoals(this.o.goals)), signal = this.o.signal): Promise<GateInput[]> {
    const { config, paths } = this.o;
    return this.o.probe({
      repo: this.o.mirror, head, goals, timeoutS: config.goals.timeout_s, jobs: config.goals.jobs, depCache: paths.depCache,
      setup: config.setup, env: this.o.env, runBaseline: this.o.baseline(), signal,
    });
  }

  /**
   * The state with the gates measured at `head`, unless the recorded results already belong to it
   * (and a finished background result harvested). Not saved here: the pre-tick save (or the stop's)
   * writes them with the tick's decisions, one write instead of two; a crash before it only
   * measures the gates again (docs/ARCHITECTURE.md, "Crash consistency of a tick").
   */
  async refresh(state: LoopState, head: string | null): Promise<LoopState> {
    const harvested = this.expensive.harvest(state);
    if (!head || harvested.gates.head === head) return harvested;
    const results = await this.awaited(head, cheapGoals(hardGoals(this.o.goals)));
    // Gates cut short by a stop request say nothing about HEAD: evaluate them again on the next start.
    if (this.o.signal.aborted) return harvested;
    this.expensive.noteSync(results);
    return recordAtHead(harvested, head, results, hardGoals(this.o.goals));
  }

  /** Every hard gate at `head` (the expensive ones too) but those in `skip`: a turn's own probe (peer-turn.ts). */
  evaluateAllBut(head: string, skip: string[]): Promise<GateInput[]> {
    return this.awaited(head, hardGoals(this.o.goals).filter((g) => !skip.includes(g.id)));
  }

  /**
   * A measurement the run waits on, said while it lasts: a test suite of minutes otherwise leaves
   * `peers logs -f` and `up --attach` silent between the last line and the result, as if hung.
   */
  private async awaited(head: string, goals: HardGoal[]): Promise<GateInput[]> {
    const started = Date.now();
    const say = () => this.o.log(`peers: gates at ${head.slice(0, 8)}: still measuring (${Math.round((Date.now() - started) / 1000)} s so far: ${goals.map((g) => g.id).join(', ')}); the next turn starts when they finish`);
    let timer = setTimeout(function again() {
      say();
      timer = setTimeout(again, SLOW_NOTICE_REPEAT_MS);
    }, this.o.slowNoticeMs ?? SLOW_NOTICE_MS);
    try {
      return await this.evaluate(head, goals);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The state with what the turn already measured at its HEAD recorded (not evaluated again), and background results harvested. */
  afterTurn(state: LoopState, measured: { head: string; results: GateInput[] } | null | undefined, headAfter: string | null): LoopState {
    let next = state;
    if (measured && measured.head === headAfter) {
      this.expensive.noteSync(measured.results);
      next = recordProbe(next, measured.head, measured.results, hardGoals(this.o.goals));
    }
    return this.expensive.harvest(next);
  }
}

/** A gate measurement longer than this is said in the log, then again every SLOW_NOTICE_REPEAT_MS. */
const SLOW_NOTICE_MS = 15_000;
const SLOW_NOTICE_REPEAT_MS = 60_000;
