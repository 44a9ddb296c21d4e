/**
 * The processes of `expensive` gates (the decisions are in ../expensive-gates.ts): one background
 * job at a time on a clean checkout of the commit it judges, through the loop's own gate probe (the
 * host's checkout or the pod's gates container, behind the loop's gate cache). Its processes are
 * started by supervise(), so the loop's child tracking records them and the next loop reaps what a
 * dead one left; a stop request, or the end of the run for any reason, kills the job with its
 * process group (stop()) before the loop lets go of its lock. A job that crashes, times out or
 * returns nothing for a goal records a failure for that commit (fail closed).
 */
import type { HardGoal } from '../../config/goals-schema.ts';
import type { LoopState } from '../../state/state-schema.ts';
import type { ConvergenceInput } from '../convergence.ts';
import { backgroundToStart, freshExpensiveNeeded, recordExpensive } from '../expensive-gates.ts';
import { gateTime, type GateTime } from '../gate-time.ts';
import type { LoopSettings } from '../settings.ts';
import type { GateInput } from '../tick.ts';

/** Runs `goals` at `head` (the loop's gate probe), killed when `signal` aborts. */
export type ExpensiveProbe = (head: string, goals: HardGoal[], signal: AbortSignal) => Promise<GateInput[]>;

type Job = { head: string; ids: string[]; controller: AbortController; done: Promise<void> };
type Finished = { head: string; results: GateInput[] };

export class BackgroundGates {
  private job: Job | null = null;
  private finished: Finished[] = [];
  /** Measurements of the current tick, for its line (gateTime). */
  private tickSync: GateInput[] = [];
  private tickFinished: Finished[] = [];

  constructor(
    private readonly goals: HardGoal[],
    private readonly probe: ExpensiveProbe,
    private readonly runSignal: AbortSignal,
    private readonly log: (line: string) => void,
  ) {}

  /** Notes gates the loop measured synchronously this tick (cheap ones, a test-only turn's). */
  noteSync(results: GateInput[]): void {
    this.tickSync.push(...results);
  }

  /** Folds the jobs that finished into the state, each against the commit it judged. */
  harvest(state: LoopState): LoopState {
    let next = state;
    for (const f of this.finished.splice(0)) {
      next = recordExpensive(next, f.head, f.results, this.goals, true);
      this.tickFinished.push(f);
      this.log(`peers: expensive gates at ${f.head.slice(0, 8)} (background): ${f.results.map((r) => `${r.id}=${r.state} ${Math.round(r.durationMs / 1000)}s`).join(', ')}`);
    }
    return next;
  }

  /** Starts a job for the recorded HEAD when one is due (backgroundToStart); the turn runs meanwhile. */
  startFor(state: LoopState): void {
    const head = state.gates.head;
    const due = backgroundToStart(state, head, this.goals, this.job !== null || this.runSignal.aborted);
    if (!head || due.length === 0) return;
    const controller = new AbortController();
    const stop = () => controller.abort();
    this.runSignal.addEventListener('abort', stop, { once: true });
    const done = this.probe(head, due, controller.signal)
      .then(
        (results) => complete(due, results, null),
        (error: unknown) => complete(due, [], `the gate run failed: ${(error as Error).message}`),
      )
      .then((results) => {
        // Killed by a stop: the partial results say nothing about the commit.
        if (!controller.signal.aborted) this.finished.push({ head, results });
      })
      .finally(() => {
        this.runSignal.removeEventListener('abort', stop);
        this.job = null;
      });
    this.job = { head, ids: due.map((g) => g.id), controller, done };
    this.log(`peers: expensive gates ${this.job.ids.join(', ')} started in the background at ${head.slice(0, 8)}`);
  }

  /** Waits for a job measuring `head` (if one runs) and folds what finished into the state. */
  async settle(state: LoopState, head: string): Promise<LoopState> {
    if (this.job && this.job.head === head) await this.job.done;
    return this.harvest(state);
  }

  /** The recorded gate states at `head`, or null when the recorded gates belong to another commit. */
  statesAt(state: LoopState, head: string | null): Record<string, 'pass' | 'fail'> | null {
    if (!head || state.gates.head !== head) return null;
    return Object.fromEntries(Object.entries(state.gates.results).map(([id, r]) => [id, r.state]));
  }

  running(): { head: string; ids: string[] } | null {
    return this.job ? { head: this.job.head, ids: [...this.job.ids] } : null;
  }

  /**
   * Before convergence: every expensive goal without a result at exactly the recorded HEAD runs now
   * (a job already on that commit is waited for instead). Returns the state with those results.
   */
  async measureForConvergence(state: LoopState, conv: ConvergenceInput, s: LoopSettings): Promise<LoopState> {
    let next = state;
    if (freshExpensiveNeeded(next, conv, s, this.goals).length && this.job && this.job.head === next.gates.head) {
      await this.job.done;
      next = this.harvest(next);
    }
    const missing = freshExpensiveNeeded(next, conv, s, this.goals);
    const head = next.gates.head;
    if (!missing.length || !head || this.runSignal.aborted) return next;
    this.log(`peers: converging at ${head.slice(0, 8)}: running expensive gates ${missing.map((g) => g.id).join(', ')} fresh at this commit`);
    let results: GateInput[];
    try {
      results = complete(missing, await this.probe(head, missing, this.runSignal), null);
    } catch (error) {
      results = complete(missing, [], `the gate run failed: ${(error as Error).message}`);
    }
    if (this.runSignal.aborted) return next;
    this.tickSync.push(...results);
    return recordExpensive(next, head, results, this.goals, false);
  }

  /** This tick's gate time for its line; starts the next tick's count. */
  takeTickTime(): GateTime {
    const t = gateTime(this.tickSync, this.tickFinished, this.running());
    this.tickSync = [];
    this.tickFinished = [];
    return t;
  }

  /** Kills a running job with its process group and waits until it is gone. */
  async stop(): Promise<void> {
    const job = this.job;
    if (!job) return;
    job.controller.abort();
    await job.done;
  }
}

/** One result per goal: a goal the probe said nothing about failed (fail closed). */
function complete(goals: HardGoal[], results: GateInput[], failure: string | null): GateInput[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  return goals.map((g) => byId.get(g.id) ?? { id: g.id, state: 'fail', durationMs: 0, cached: false, diagnostic: `not measured: ${failure ?? 'the gate probe returned no result for it'}` });
}
