/**
 * What `peers up` does, given where the project's run stands (pure: the shell in sandbox/up.ts
 * gathers the facts). A stopped run is resumed only when the loop would not stop again at once:
 * the answer comes from the loop's own stop rules (stop-check.ts, operator-actions.ts) applied to
 * the saved state with the operator's actions of this `up` (changed goals, --reset-peer,
 * --max-usd, --max-runtime), so `up` and the loop can never disagree. Otherwise `up` says why the
 * run stopped and what would continue it, and exits as the run did (0 for complete, else 1).
 */
import { usdCapToContinue } from '../budget/usd-cap-across-ups.ts';
import { clipLine, headAndTail } from '../cli/fit-line.ts';
import type { LoopState } from '../state/state-schema.ts';
import { exitCodeFor, formatStopReason, type StopReason } from '../state/stop-reason.ts';
import { formatDuration } from './runtime-change.ts';
import type { LoopSettings } from './settings.ts';
import type { RunContext } from './stop-check.ts';
import { runVerdict } from './run-verdict.ts';
import { healthReasonWords } from './peer-health-words.ts';
import { scenarioRanOut } from './scenario-ran-out.ts';

/** The run's status as reconciled with podman and the state dir (sandbox/reconcile.ts). */
export type RunStatusForUp = 'fresh' | 'running' | 'stopped' | 'crashed';

export type UpSituation = {
  status: RunStatusForUp;
  /** The last stop reason the loop wrote, when it belongs to the current run. */
  stop: StopReason | null;
  /** The saved state, its spend brought up to the usage ledger; null when there is none. */
  state: LoopState | null;
  /** What the loop would run with now (snapshot, budget policy, operator controls, flags). */
  settings: LoopSettings;
  /** The control plane the loop will enforce differs from the one the state last ran with. */
  configChanged: boolean;
  resetPeers: string[];
  budgetRefusals?: RunContext['budgetRefusals'];
  fresh: boolean;
  /** Flags of this `up` that only take effect when a loop starts (--no-skeptic, --reset-peer, …). */
  startOnlyFlags: string[];
  /** `peers up` as the user would type it for this project (`peers up`, `peers up app`). */
  upCommand: string;
  /**
   * What continues this run, when more than upCommand: a rehearsal goes on only with
   * `--rehearse SCENARIO` (plain `peers up` would be a real run, which never continues one).
   */
  continueCommand?: string;
  /** This `up`: a rehearsal against the scripted model server, or a real run. */
  mode?: 'rehearsal' | 'real';
  /** What the saved run was (from its budget policy), when known. */
  previousMode?: 'rehearsal' | 'real';
  resultsBranch: string;
  /** A rehearsal's script ran out: "peer 'x' has only N scripted tick(s)" (src/model-server/served-log.ts). */
  scriptEnds?: string[];
};

export type UpDecision =
  /** No run to continue (never started, or --fresh: the old one is archived first). */
  | { kind: 'start'; archive: boolean }
  | { kind: 'resume'; notes: string[] }
  /** Already running; live controls (--max-runtime) have been applied by the shell. */
  | { kind: 'running' }
  /** Running, but containers of its pod have stopped (the loop holds the run): start them again. */
  | { kind: 'repair'; restart: string[] }
  /** This `up` cannot do what was asked; nothing was changed. */
  | { kind: 'refuse'; message: string; hint: string; exitCode: 1 | 2 }
  /** The run is over for a reason the operator has not answered: why, and what would continue it. */
  | { kind: 'finished'; stop: StopReason; why: string; next: string[]; exitCode: number };

/**
 * `peers up` on a run whose loop is running: only live controls (--max-runtime) can apply, and
 * containers of the pod that stopped (`down`, from podman) are started again.
 */
export function decideWhileRunning(u: Pick<UpSituation, 'fresh' | 'startOnlyFlags' | 'upCommand' | 'continueCommand' | 'previousMode' | 'mode'> & { down?: string[] }): UpDecision {
  if (u.fresh) return { kind: 'refuse', message: 'the run is still running; --fresh starts over only from a stopped run', hint: `stop it first: peers down, then ${u.upCommand} --fresh`, exitCode: 1 };
  // `up --rehearse` on a running real run (or plain `up` on a running rehearsal) asks for another
  // kind of run; the same `up` twice (two terminals, a script run again) finds its run going on.
  const other = refuseOtherMode(u);
  if (other) {
    const start = u.mode === 'rehearsal' ? `${u.upCommand} --fresh --rehearse SCENARIO.yaml` : `${u.upCommand} --fresh`;
    return { ...other, message: `${other.message.replace(/^the run here was/, 'the run here is')}, and it is running`, hint: `follow it: peers status; or stop it and start over: peers down, then ${start} (the run is archived, nothing is deleted)` };
  }
  if (u.startOnlyFlags.length) {
    return { kind: 'refuse', message: `the run is already running; ${u.startOnlyFlags.join(', ')} ${u.startOnlyFlags.length > 1 ? 'take' : 'takes'} effect only when the loop starts`, hint: `peers down, then ${u.continueCommand ?? u.upCommand} ${u.startOnlyFlags.join(' ')} (it resumes from the saved tick)`, exitCode: 2 };
  }
  if (u.down?.length) return { kind: 'repair', restart: [...u.down].sort() };
  return { kind: 'running' };
}

/**
 * A rehearsal's history is a scripted model's, a real run's is real: neither continues the other.
 * The refusal says both ways on: continue the run that is there, or start the other kind over it.
 * sandbox/up.ts asks this before it adopts a changed `.peers/`, so a refused `up` changes nothing.
 */
export function refuseOtherMode(u: Pick<UpSituation, 'previousMode' | 'mode' | 'upCommand'>): (UpDecision & { kind: 'refuse' }) | null {
  if (!u.previousMode || !u.mode || u.previousMode === u.mode) return null;
  const wasRehearsal = u.previousMode === 'rehearsal';
  const was = wasRehearsal ? 'a rehearsal (the scripted model server)' : 'a real run (the vendors)';
  const hint = wasRehearsal
    ? `continue the rehearsal: ${u.upCommand} --rehearse SCENARIO.yaml; or start a real run over it: ${u.upCommand} --fresh (the rehearsal is archived, nothing is deleted)`
    : `continue the real run: ${u.upCommand}; or rehearse from scratch: ${u.upCommand} --fresh --rehearse SCENARIO.yaml (the real run is archived, nothing is deleted)`;
  return { kind: 'refuse', message: `the run here was ${was}; a ${u.mode === 'rehearsal' ? 'rehearsal' : 'real run'} does not continue it`, hint, exitCode: 2 };
}

export function decideUp(u: UpSituation): UpDecision {
  if (u.status === 'running') return decideWhileRunning(u);
  if (u.fresh) return { kind: 'start', archive: u.status !== 'fresh' || u.state !== null };
  if (!u.state) return { kind: 'start', archive: false };
  const state = u.state;
  const other = refuseOtherMode(u);
  if (other) return other;
  // The one verdict on the saved run (run-verdict.ts), with the operator's answer of this `up`.
  const verdict = runVerdict({ ...u, state });
  const acted = verdict.state;
  if (verdict.finished) return { kind: 'finished', stop: verdict.finished, why: whyStopped(verdict.finished, acted, u.settings), next: whatNext(verdict.finished, u), exitCode: exitCodeFor(verdict.finished) };
  const notes: string[] = [];
  for (const p of acted.peer_order) {
    const h = acted.peers[p];
    if (h && h.state !== 'healthy') notes.push(`${p} is ${h.state}${h.reason ? ` (${healthReasonWords(p, h.reason)})` : ''}: ${h.state === 'unavailable' ? 'it gets no turn' : 'it gets fewer turns'} until ${u.continueCommand ?? u.upCommand} --reset-peer ${p}`);
  }
  for (const p of u.settings.paused ?? []) notes.push(`${p} is paused: it gets no turn until \`peers resume ${p}\``);
  return { kind: 'resume', notes };
}

function lastFailures(state: LoopState): string {
  const lines = state.peer_order.flatMap((p) => {
    const f = state.peers[p]?.last_failure;
    return f ? [`${p}: ${f.cause} (tick ${f.tick})`] : [];
  });
  return lines.length ? `; last failures: ${lines.join('; ')}` : '';
}

/** One line: the stop reason in the run's own figures. */
export function whyStopped(stop: StopReason, s: LoopState, settings: LoopSettings): string {
  const b = s.budget;
  const text = formatStopReason(stop);
  switch (stop.kind) {
    case 'complete':
      return `${text}: every hard gate green, the reviews and the skeptic's audit clean (tick ${s.tick})`;
    case 'blocked':
      return s.blocked ? `${text}: ${s.blocked.by} says the task cannot be done as specified: "${clipLine(s.blocked.reason, 300)}" (confirmed by ${s.blocked.confirmed_by})` : `${text}: the peers agreed the task cannot be done as specified`;
    case 'stuck': {
      const diag = s.gates.results[stop.gate]?.diagnostic.split('\n').find((l) => l.trim()) ?? '';
      return `${text}: gate ${stop.gate} was red ${s.gates.red_streak[stop.gate] ?? 0} evaluations in a row (goals.stuck_halt_after is ${settings.goals.stuckHaltAfter})${diag ? `: ${headAndTail(diag, 240)}` : ''}`;
    }
    case 'all-peers-down':
      return `${text}: no peer can take a turn (${s.peer_order.map((p) => `${p} ${s.peers[p]?.state ?? 'unknown'}${s.peers[p]?.reason ? `: ${healthReasonWords(p, s.peers[p]!.reason!)}` : ''}`).join('; ')})`;
    case 'budget':
      switch (stop.cap) {
        case 'max_usd':
          return `${text}: spent $${b.spent_usd.toFixed(2)} of the $${(settings.budget.maxUsd ?? 0).toFixed(2)} cap (the auth sidecar refuses a request the rest cannot cover)`;
        case 'max_tokens':
          return `${text}: spent ${b.spent_tokens} tokens of the ${settings.budget.maxTokens ?? 0} cap`;
        case 'max_runtime':
          return `${text}: the peers' turns took ${formatDuration(b.spent_runtime_ms / 1000)} of the ${formatDuration(settings.budget.maxRuntimeS)} cap`;
        case 'max_ticks':
          return `${text}: ${s.tick} ticks of budget.max_ticks ${settings.budget.maxTicks}`;
        case 'max_consecutive_failures':
          return `${text}: ${b.consecutive_failures} failed turns in a row (budget.max_consecutive_failures is ${settings.budget.maxConsecutiveFailures})${lastFailures(s)}`;
        case 'ledger-unreadable':
          return `${text}: the auth sidecar's usage ledger cannot be read, so no cap can be checked`;
      }
      return text;
    default:
      return text;
  }
}

/** What the operator can run next, most useful first. */
export function whatNext(stop: StopReason, u: Pick<UpSituation, 'upCommand' | 'continueCommand' | 'resultsBranch' | 'state' | 'settings' | 'scriptEnds' | 'budgetRefusals'>): string[] {
  const up = u.continueCommand ?? u.upCommand;
  const fresh = `start over from your current HEAD: ${up} --fresh (this run is archived, nothing is deleted)`;
  const accept = (what: string) => `${what}, then ${up} --accept-changes (the run continues where it stopped)`;
  // The turns of a rehearsal whose scenario ran out got no scripted reply: no key is at fault, and
  // the failures' cap (or every peer down) that stopped it is the symptom.
  const ranOut = u.scriptEnds?.length ? [`${scenarioRanOut(u.scriptEnds)}: add ticks to it (peers report says more), then ${up} --reset-peer all`, fresh] : null;
  switch (stop.kind) {
    case 'complete':
      return ['read it: peers report', `take the work: git log -p ${u.resultsBranch}, then git merge ${u.resultsBranch}`, fresh, accept('or continue it with more goals: edit .peers/goals.yaml')];
    case 'blocked':
      return ['read why: peers report', accept('answer it: change .peers/goals.yaml or .peers/config.yaml'), fresh];
    case 'stuck':
      return ["see the gate's output: peers status", accept('fix the gate in .peers/goals.yaml, or raise goals.stuck_halt_after in .peers/config.yaml'), fresh];
    case 'all-peers-down':
    case 'peer-unavailable':
      if (ranOut) return ranOut;
      return ["see why: peers status (each peer's last failure) and peers logs", `fix the cause (a key, a login, a model name, a quota), then ${up} --reset-peer all`, fresh];
    case 'budget':
      switch (stop.cap) {
        case 'max_usd': {
          const spent = u.state?.budget.spent_usd ?? 0;
          return [`raise the cap for this run: ${up} --max-usd ${usdCapToContinue(u.settings.budget.maxUsd, spent, u.budgetRefusals?.max_usd?.needed)}`, accept('or raise budget.max_usd in .peers/config.yaml'), fresh];
        }
        case 'max_tokens':
          return [accept('raise budget.max_tokens in .peers/config.yaml'), fresh];
        case 'max_runtime':
          return [`give it more time: ${up} --max-runtime +6h`, fresh];
        case 'max_ticks':
          return [accept('raise budget.max_ticks in .peers/config.yaml'), fresh];
        case 'max_consecutive_failures':
          if (ranOut) return ranOut;
          return ["see why turns failed: peers status (each peer's last failure) and peers logs", `fix the cause, then ${up} --reset-peer all (forgives the failure streak)`, fresh];
        case 'ledger-unreadable':
          return ['peers status names the damaged line of sidecars/auth/usage.jsonl in the state dir: repair it, then peers up', fresh];
      }
      return [fresh];
    case 'storage':
      return [`${stop.problem === 'disk-full' ? 'free space on the disk' : 'check the disk (dmesg, df)'} holding ${stop.path}, then ${up} resumes it from the last state written whole`, fresh];
    default:
      return [`${up} resumes it`];
  }
}
