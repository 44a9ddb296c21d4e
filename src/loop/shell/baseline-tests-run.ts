/**
 * The git side of "green with the tests the run started with" (src/protocol/baseline-tests.ts):
 * builds the counterfactual commit in the trusted mirror and measures the gates on it, and at the
 * run's start when that is needed. Runs only when the run could otherwise converge, once per HEAD;
 * the answer is kept in state.json (`baseline_tests`), so a resumed run does not measure again.
 *
 * The commit is made with a private index file beside the mirror (never the peers' repository):
 * HEAD's tree, with the run's test-file changes undone from the run's start commit's tree. It is
 * the loop's own object, reachable from no ref, so no peer and no report ever takes it for the
 * run's work; the gate checkout reads it like any other commit of the mirror.
 */
import type { HardGoal } from '../../config/goals-schema.ts';
import { git } from '../../git/git.ts';
import { counterfactualGoals, describeHeld, heldByTestChanges, productRenames, redIn, type BaselineTestEdits } from '../../protocol/baseline-tests.ts';
import { commitWithTestChangesOf } from '../../protocol/tests-alone.ts';
import { isTestPath } from '../../protocol/test-paths.ts';
import { describeDrops, droppedTests, type TestsRun } from '../../protocol/tests-run.ts';
import { inSourceTestEdits } from './in-source-test-edits.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { needsBaselineTests, type ConvergenceInput } from '../convergence.ts';
import type { LoopSettings } from '../settings.ts';
import type { GateInput } from '../tick.ts';

/** Listings of whole trees: a repository of a million files still fits. */
const LIST_BUFFER = 512 * 1024 * 1024;

export type BaselineTestsRecord = NonNullable<LoopState['baseline_tests']>;

/** `unchangedTests`: the run changed no test file, so HEAD itself is the counterfactual. */
type Counterfactual = { kind: 'none'; why: string; unchangedTests?: boolean } | { kind: 'commit'; sha: string; edits: BaselineTestEdits };

/**
 * The counterfactual commit for `head` against the run's start `base`: HEAD with the test changes
 * of `head..base` applied (tests-alone.ts's operation, the other way round), or why there is none
 * (no test file at the start, no test file changed). Throws when git cannot answer: the caller holds.
 */
export function counterfactualCommit(mirror: string, base: string, head: string): Counterfactual {
  const listed = git(mirror, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', base], { maxBuffer: LIST_BUFFER });
  if (listed.code !== 0) throw new Error(`git ls-tree failed (exit ${listed.code}): ${listed.stderr.trim().slice(-300)}`);
  // Tests inside product files (a Rust crate's unit tests, doctests, vitest in-source blocks:
  // in-source-tests.ts) are put back as the run started too.
  const inSource = inSourceTestEdits(mirror, base, head);
  if (!inSource.paths.length && !listed.stdout.split('\0').some((p) => p !== '' && isTestPath(p))) return { kind: 'none', why: 'the run started without test files' };
  const renames = git(mirror, ['diff', '--raw', '-z', '-M', '--diff-filter=R', '--no-abbrev', '--no-ext-diff', '--no-textconv', base, head], { maxBuffer: LIST_BUFFER });
  if (renames.code !== 0) throw new Error(`git diff -M failed (exit ${renames.code}): ${renames.stderr.trim().slice(-300)}`);
  const aliases = productRenames(renames.stdout);
  const made = commitWithTestChangesOf(mirror, head, base, `peers: ${head.slice(0, 12)}'s code with the test files the run started with (${base.slice(0, 12)})`, aliases.indexInfo + inSource.indexInfo, inSource.paths.length > 0);
  if (!made) return { kind: 'none', why: 'the run changed no test file', unchangedTests: true };
  // Deleted on the way back to the start: added by the run. Every other one is put back.
  const removed = new Set(made.side.deleted);
  return { kind: 'commit', sha: made.sha, edits: { restore: made.side.paths.filter((p) => !removed.has(p)), remove: made.side.deleted, ...(aliases.paths.length ? { aliased: aliases.paths } : {}), ...(inSource.paths.length ? { inSource: inSource.paths } : {}) } };
}

export type MeasureBaselineTests = {
  mirror: string;
  base: string;
  head: string;
  /** HEAD's tree, kept with the record. */
  tree: string;
  goals: HardGoal[];
  /** The gates at a commit (the loop's probe: a clean checkout, setup, the gates runner in the pod). */
  probe: (sha: string, goals: HardGoal[]) => Promise<GateInput[]>;
  /** The gates' states at the run's start, when an earlier measure kept them. */
  start: Record<string, 'pass' | 'fail'> | null;
  /** The tests each gate ran at the run's start, when an earlier measure kept them. */
  startTests?: Record<string, TestsRun> | null;
};

/**
 * The record for `head`: which gates are held (none when the rule does not apply). Two rules, one
 * measure: a gate red on the counterfactual that was red at the start (baseline-tests.ts), and a
 * gate green there that ran fewer tests than at the start (tests-run.ts). With no test file
 * changed the counterfactual is HEAD itself. The start is measured once and kept. Fails closed:
 * when the counterfactual cannot be built or measured, every gate it would run is held.
 */
export async function measureBaselineTests(o: MeasureBaselineTests): Promise<BaselineTestsRecord> {
  const goals = counterfactualGoals(o.goals);
  const ids = goals.map((g) => g.id);
  const record = (held: string[], detail: string, start = o.start, startTests = o.startTests ?? null): BaselineTestsRecord => ({ head: o.head, tree: o.tree, held, detail, start, start_tests: startTests });
  if (!goals.length) return record([], 'no gate but peers checks');
  try {
    const cf = counterfactualCommit(o.mirror, o.base, o.head);
    if (cf.kind === 'none' && cf.unchangedTests !== true) return record([], cf.why);
    const sha = cf.kind === 'commit' ? cf.sha : o.head;
    const onCf = await o.probe(sha, goals);
    let start = o.start;
    let startTests = o.startTests ?? null;
    const redOnHead = cf.kind === 'commit' ? redIn(ids, onCf) : [];
    // The start is measured again only when something of it is missing: a gate's count (a gate
    // not measured there yet, an expensive one), or the states when a gate is red on the counterfactual.
    if (!startTests || ids.some((id) => !(id in startTests!)) || (redOnHead.length && !start)) {
      const atStartRun = await o.probe(o.base, goals);
      start = Object.fromEntries(atStartRun.map((r) => [r.id, r.state]));
      startTests = { ...Object.fromEntries(atStartRun.map((r) => [r.id, r.testsRun ?? {}])), ...(startTests ?? {}) };
    }
    const counts = startTests;
    const startAnswer = ids.map((id) => ({ id, state: start?.[id] ?? ('fail' as const), ...(counts[id] && Object.keys(counts[id]!).length ? { testsRun: counts[id] } : {}) }));
    const drops = droppedTests(startAnswer, onCf);
    const redOnCf = redOnHead;
    const heldRed = heldByTestChanges(redOnCf, startAnswer);
    const held = [...new Set([...heldRed, ...drops.map((d) => d.id)])];
    const details = [
      ...(heldRed.length && cf.kind === 'commit' ? [describeHeld(heldRed, cf.edits, cf.sha)] : []),
      ...(drops.length ? [describeDrops(drops, sha)] : []),
    ];
    if (details.length) return record(held, details.join(' '), start, startTests);
    if (redOnCf.length) return record([], `a behaviour change: ${redOnCf.join(', ')} red with the old tests, green when the run started`, start, startTests);
    return record([], `green on ${sha.slice(0, 12)}, with the test files the run started with, running as many tests as at the start`, start, startTests);
  } catch (error) {
    return record(ids, `the gates could not be measured with the test files the run started with (${(error as Error).message}); held until they can`);
  }
}

export type BaselineTestsStep = {
  state: LoopState;
  /** Its `heldByTestChanges` is set here; left unset (convergence holds) when not measured. */
  input: ConvergenceInput;
  settings: LoopSettings;
  mirror: string;
  goals: HardGoal[];
  probe: MeasureBaselineTests['probe'];
  signal: AbortSignal;
  log: (line: string) => void;
};

/**
 * The loop's step, before its pre-tick decisions: once per HEAD, and only when everything else has
 * converged, the gates run on HEAD's code with the run's test changes undone. Returns the state
 * with the record (written with the pre-tick decisions; a crash before that measures again).
 */
export async function baselineTestsStep(o: BaselineTestsStep): Promise<LoopState> {
  const { state, input } = o;
  // An answer with nothing new to record.
  const answer = (held: string[]): LoopState => {
    input.heldByTestChanges = held;
    return state;
  };
  const head = state.gates.head;
  const base = state.baseline;
  // Before the first turn, or with nothing committed since the start, no test changed.
  if (!head || !base || head === base) return answer([]);
  const kept = state.baseline_tests;
  if (kept?.head === head) return answer(kept.held);
  if (!needsBaselineTests(state, input, o.settings)) return state;
  // An unreadable tree leaves the input unset: convergence holds.
  const tree = git(o.mirror, ['rev-parse', '--verify', '--quiet', `${head}^{tree}`]).stdout.trim();
  if (!tree) return state;
  // The same tree as the last measure (the commits since only hand off): the same answer.
  if (kept && kept.tree === tree) return answer(kept.held);
  o.log(`peers: converging at ${head.slice(0, 8)}: running the gates with the test files the run started with`);
  const record = await measureBaselineTests({ mirror: o.mirror, base, head, tree, goals: o.goals, start: kept?.start ?? null, startTests: kept?.start_tests ?? state.start_tests, probe: o.probe });
  // Gates cut short by a stop request say nothing: measured again on the next start.
  if (o.signal.aborted) return state;
  input.heldByTestChanges = record.held;
  // The line before says the gates ran with the test files the run started with; the detail says how it went.
  o.log(`peers: ${record.held.length ? 'convergence held: ' : ''}${record.detail}`);
  const warnings = record.held.length ? [...state.warnings, `convergence held: ${record.detail}`] : state.warnings;
  return { ...state, baseline_tests: record, warnings };
}
