/**
 * How a run ended and why, in words, and how to take its result: the first thing the report says.
 * Derived from the stop reason the loop recorded (never from its text by pattern: parseStopReason),
 * the budget figures, the gates and the peers' health. A run that is not running and recorded no
 * stop after its last tick was killed; the report says so rather than repeating an older stop.
 */
import { usdCapToContinue } from '../budget/usd-cap-across-ups.ts';
import { headAndTail } from '../cli/fit-line.ts';
import type { LiveTurn } from '../state/live-turn.ts';
import { parseStopReason, storageStopText } from '../state/stop-reason.ts';
import { healthReasonWords } from '../loop/peer-health-words.ts';
import { UNREACHABLE_ADVICE } from '../loop/peer-sleep.ts';
import { scenarioRanOut } from '../loop/scenario-ran-out.ts';
import type { RunSummary } from './run-summary.ts';
import type { statusJson } from './status-text.ts';
import type { HistorySource } from './run-history.ts';
import type { GateTimeline } from './tick-series.ts';

export type Outcome = {
  status: 'running' | 'stopped' | 'killed' | 'not-started';
  /** The recorded stop reason (`complete`, `budget:max_usd`, …), null while running or never stopped. */
  reason: string | null;
  at: string | null;
  headline: string;
  why: string[];
  needs_operator: boolean;
};

type Status = ReturnType<typeof statusJson>;

const CAP_FIGURE: Record<string, (b: Status['budget']) => string> = {
  // Under the cap, the sidecar refused a request the rest could not cover (its reservation).
  max_usd: (b) => `$${b.usd.spent.toFixed(2)} spent of a $${b.usd.cap ?? '∞'} cap${b.usd.cap !== null && b.usd.spent < b.usd.cap ? ', and the next request could have cost more than was left (`peers status` says how much)' : ''}`,
  max_tokens: (b) => `${b.tokens.spent} tokens spent of a ${b.tokens.cap ?? '∞'} cap`,
  max_ticks: (b) => `${b.ticks.spent} ticks of a ${b.ticks.cap ?? '∞'} cap`,
  max_runtime: (b) => `${b.runtime_s.spent} s of a ${b.runtime_s.cap ?? '∞'} s cap`,
  max_consecutive_failures: (b) => `${b.consecutive_failures.spent} failed ticks in a row (cap ${b.consecutive_failures.cap ?? '∞'})`,
};

/**
 * Gates green only with the run's test changes, at the last commit measured for it
 * (src/protocol/baseline-tests.ts): the run's later commits did not converge either.
 */
function heldByTests(r: RunSummary): string[] {
  const b = r.state.baseline_tests;
  return b && b.held.length ? [`Not complete although green: at ${b.head.slice(0, 8)}, ${b.detail}`] : [];
}

/**
 * What resumes the run: a rehearsal (its budget policy says the scripted model server was its
 * upstream) goes on only with `--rehearse`; plain `peers up` is a real run, which never continues one.
 */
/**
 * What continues a run stopped by a budget cap, as `peers up` takes it (src/loop/up-decision.ts,
 * whatNext): only --max-usd and --max-runtime change a cap from the command line; `--max-ticks`
 * bounds one `up`'s own ticks and never raises budget.max_ticks, so it is not offered.
 */
function raiseCap(cap: string, up: string, usd: { spent: number; cap: number | null }, refusedNeeded?: number): string {
  const inConfig = (key: string) => `raise budget.${key} in .peers/config.yaml, then \`${up} --accept-changes\` continues it`;
  switch (cap) {
    case 'max_usd':
      return `To continue: \`${up} --max-usd ${usdCapToContinue(usd.cap ?? undefined, usd.spent, refusedNeeded)}\` (or ${inConfig('max_usd')}).`;
    case 'max_runtime':
      return `To continue: \`${up} --max-runtime +6h\` gives it more time.`;
    case 'max_consecutive_failures':
      return `To continue: fix why the turns failed (peers status, peers logs), then \`${up} --reset-peer all\`.`;
    default: // max_ticks, max_tokens
      return `To continue: ${inConfig(cap)}.`;
  }
}

export const resumeCommand = (r: RunSummary): string => (r.policy?.credentials === 'model-server' ? 'peers up --rehearse SCENARIO.yaml' : 'peers up');

function whyStopped(reason: string, r: RunSummary, j: Status, gates: GateTimeline[]): { why: string[]; operator: boolean } {
  const stop = parseStopReason(reason);
  const red = Object.entries(j.gates.results).filter(([, g]) => g.state === 'fail').map(([id]) => id);
  switch (stop.kind) {
    case 'complete':
      return {
        why: [
          `Every hard gate was green at ${j.gates.head?.slice(0, 8) ?? 'the last commit'} (${Object.keys(j.gates.results).join(', ') || 'no hard gates'}), no crit/high/med bug was open, the soft goals had their reviews, and the skeptic's re-audit stayed clean.`,
        ],
        operator: false,
      };
    case 'max_ticks':
      return { why: [`This run's --max-ticks limit was reached (${r.exits.at(-1)?.ticks_in_run ?? '?'} ticks in it). \`${resumeCommand(r)}\` continues from tick ${j.tick}.`, ...(red.length ? [`Still red: ${red.join(', ')}.`] : []), ...heldByTests(r)], operator: false };
    case 'budget':
      if (stop.cap === 'ledger-unreadable') return { why: ['The usage ledger could not be read, so no spending cap could be checked: the run was held (fail closed).'], operator: true };
      return { why: [`The ${stop.cap} cap was reached: ${CAP_FIGURE[stop.cap]?.(j.budget) ?? stop.cap}. ${raiseCap(stop.cap, resumeCommand(r), j.budget.usd, r.ledger?.refusals.max_usd?.needed)}`, ...(red.length ? [`Still red: ${red.join(', ')}.`] : []), ...heldByTests(r)], operator: true };
    case 'stuck': {
      const g = gates.find((x) => x.id === stop.gate);
      const raw = j.gates.results[stop.gate]?.diagnostic;
      const diag = raw === undefined ? undefined : headAndTail(raw.replace(/\\n/g, ' '), 300);
      return { why: [`Gate ${stop.gate} stayed red for ${j.gates.red_streak[stop.gate] ?? '?'} evaluations in a row (red after ${g?.red_ticks ?? '?'} ticks in all); the loop gave up on it.`, ...(diag ? [`Its last diagnostic: ${diag}`] : [])], operator: true };
    }
    case 'peer-unavailable':
      return { why: [`${stop.peer} is unavailable: ${j.peers[stop.peer]?.reason ? healthReasonWords(stop.peer, j.peers[stop.peer]!.reason!, resumeCommand(r)) : 'see its last ticks'}.`], operator: true };
    case 'all-peers-down':
      return { why: ['Every peer is down:', ...Object.entries(j.peers).map(([p, h]) => `${p}: ${h.state}${h.reason ? ` (${healthReasonWords(p, h.reason, resumeCommand(r))})` : ''}`), `See ${r.paths.halted}.`], operator: true };
    case 'blocked': {
      const b = r.state.blocked;
      return { why: b ? [`${b.by} declared the task impossible as specified and ${b.confirmed_by ?? 'another peer'} confirmed it: ${b.reason.replace(/\s+/g, ' ').slice(0, 400)}`] : ['The peers agreed the task cannot be done as specified.'], operator: true };
    }
    case 'usage-limited':
      return { why: [`Every peer was waiting for its usage limit, the earliest until ${stop.until}, beyond what the run's max runtime allows. Run \`${resumeCommand(r)}\` after that time (or raise budget.max_runtime_s).`], operator: true };
    case 'vendor-unreachable':
      return { why: [`The vendor could not be reached: the last ${r.state.unreachable_streak} turns in a row got no connection to ${stop.host} (its name did not resolve, or nothing answered at it). Nothing was sent and nothing failed the peers; ${UNREACHABLE_ADVICE}. Then \`${resumeCommand(r)}\` resumes the run.`], operator: true };
    case 'interrupted':
      return { why: [`Stopped on request (\`peers down\`, Ctrl-C or SIGTERM). \`${resumeCommand(r)}\` resumes it.`], operator: false };
    case 'storage':
      return { why: [storageStopText(stop)], operator: true };
    case 'error':
      return { why: [`The loop stopped on an unexpected error (${stop.name}); its output (\`peers logs\`) has the trace.`], operator: true };
  }
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function outcomeOf(i: { summary: RunSummary; status: Status; gates: GateTimeline[]; liveTurn?: LiveTurn | null }): Outcome {
  const r = i.summary;
  const j = i.status;
  if (r.lock.held) {
    const t = i.liveTurn;
    return { status: 'running', reason: null, at: null, headline: `running: tick ${t?.tick ?? j.tick + 1}${t ? `, ${t.peer} working since ${t.started_at}` : ''}`, why: [], needs_operator: false };
  }
  const lastExit = r.exits.at(-1);
  if (!lastExit && !r.ticks.length) return { status: 'not-started', reason: null, at: null, headline: 'no tick has run yet', why: [], needs_operator: false };
  // A tick logged after the last stop: the run was restarted and then died without recording one.
  if (!lastExit || lastExit.tick < j.tick) {
    return {
      status: 'killed',
      reason: null,
      at: r.ticks.at(-1)?.ts ?? null,
      headline: `killed: the loop is not running and recorded no stop after tick ${j.tick}`,
      why: [`The loop process ended without writing a stop (a kill, a power cut, the machine running out of memory). \`${resumeCommand(r)}\` resumes from the last saved tick.`],
      needs_operator: true,
    };
  }
  const recorded = r.stop?.reason ?? lastExit.reason;
  // The verdict `peers up` acts on (src/loop/run-verdict.ts) names the stop; the loop's own last
  // word is said beside it when they differ (interrupted after a gate's last red evaluation: stuck).
  const reason = r.finishedBy ?? recorded;
  const differs = reason !== recorded ? [`Its loop last exited as \`${recorded}\`, but the saved run is over all the same: \`${resumeCommand(r)}\` would not resume it.`] : [];
  const w = whyStopped(reason, r, j, i.gates);
  // A rehearsal past the end of its script fails every turn (nothing scripted, so no commit): the
  // cap or the stuck gate that stopped it is the symptom, the scenario's length the cause.
  const script = reason !== 'complete' && r.scriptEnds?.length
    ? [`${capitalized(scenarioRanOut(r.scriptEnds))}: the turns after that got no scripted reply and made no commit. Add ticks to your scenario (see rehearsal/scenario.yaml in the state dir), or give its last ticks the reviews the goals wait for.`]
    : [];
  return { status: 'stopped', reason, at: r.stop?.at ?? lastExit.ts, headline: reason, why: [...script, ...differs, ...w.why], needs_operator: w.operator };
}

/**
 * A host run's branch as the advice prints it inside a command: only names made of letters, digits
 * and `._/-`. It is whatever the repository's HEAD names, which a peer can choose (git allows
 * backticks, `<`, `>` and `=` in a name): such a name is not printed, HEAD stands for it. (A pod
 * run's branch is the operator's: the published one, or `peers/<project>`.)
 */
const printable = (branch: string | null): string | null => (branch && /^[\w./-]+$/.test(branch) ? branch : null);

/**
 * Where a host run's commits are when the report was asked for without its repository
 * (`peers report --state-dir` from elsewhere: commands/report-repository.ts); the run's own history
 * is read from its state directory all the same.
 */
export const UNNAMED_REPOSITORY = 'the repository it ran in (not named: `peers report PATH --state-dir DIR` names it)';

/** How to review and take the run's commits, for where they are. */
export function mergeAdvice(src: HistorySource, outcome: Outcome, project: string): string[] {
  const base = src.base?.slice(0, 10) ?? '';
  const caution = outcome.reason === 'complete' ? [] : [`The run did not end \`complete\` (${outcome.reason ?? outcome.status}): review before taking anything.`];
  if (src.kind === 'mirror') {
    const branch = src.branch ?? `peers/${project}`;
    return [
      ...caution,
      `The run's commits reach your repository as the branch \`${branch}\`; your own branches, index and working tree are untouched.`,
      `Review: \`git log -p ${base ? `${base}..` : ''}${branch}\``,
      `Take them: \`git merge ${branch}\` (or \`git merge --squash ${branch}\` for one commit).`,
    ];
  }
  if (!src.repo) {
    const head = src.head?.slice(0, 10) ?? 'HEAD';
    return [...caution, `A host run: it committed directly in ${UNNAMED_REPOSITORY}, so there is nothing to merge.`, `Review, there: \`git log -p ${base ? `${base}..` : ''}${head}\``];
  }
  const branch = printable(src.branch) ?? 'HEAD';
  return [
    ...caution,
    `The run committed directly to \`${branch}\` of ${src.repo} (a host run): there is nothing to merge.`,
    `Review: \`git log -p ${base ? `${base}..` : ''}${branch}\``,
    ...(base ? [`To set them aside instead: \`git branch peers-run ${branch} && git reset --keep ${base}\``] : []),
  ];
}
