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
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HardGoal } from '../../config/goals-schema.ts';
import { git } from '../../git/git.ts';
import { SUBSTRATE_PEER } from '../../protocol/approvals.ts';
import { baselineTestEdits, counterfactualGoals, describeHeld, heldByTestChanges, noEdits, type BaselineTestEdits, type PathChange } from '../../protocol/baseline-tests.ts';
import { isTestPath } from '../../protocol/test-paths.ts';
import type { LoopState } from '../../state/state-schema.ts';
import type { GateInput } from '../tick.ts';

const SUBSTRATE_ENV = { GIT_AUTHOR_NAME: SUBSTRATE_PEER, GIT_AUTHOR_EMAIL: 'peers-substrate@local', GIT_COMMITTER_NAME: SUBSTRATE_PEER, GIT_COMMITTER_EMAIL: 'peers-substrate@local' };
/** Listings of whole trees: a repository of a million files still fits. */
const LIST_BUFFER = 512 * 1024 * 1024;

export type BaselineTestsRecord = NonNullable<LoopState['baseline_tests']>;

/** `git diff-tree -r -z --no-renames --name-status` → changes. */
export function parseNameStatusZ(out: string): PathChange[] {
  const tokens = out.split('\0');
  const changes: PathChange[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const status = tokens[i]!;
    const path = tokens[i + 1]!;
    if (!/^[ACDMTUXB][0-9]*$/.test(status) || path === '') throw new Error(`unexpected diff-tree record ${JSON.stringify(status)}`);
    changes.push({ status, path });
  }
  return changes;
}

type Counterfactual = { kind: 'none'; why: string } | { kind: 'commit'; sha: string; edits: BaselineTestEdits };

/**
 * The counterfactual commit for `head` against the run's start `base`, or why there is none (no
 * test file at the start, no test file changed). Throws when git cannot answer: the caller holds.
 */
export function counterfactualCommit(mirror: string, base: string, head: string): Counterfactual {
  const startFiles = ok(git(mirror, ['ls-tree', '-r', '-z', '--full-tree', base], { maxBuffer: LIST_BUFFER }), 'ls-tree');
  // "mode type sha\tpath" records; ls-tree's own format is what update-index --index-info reads.
  const entries = new Map<string, string>();
  for (const rec of startFiles.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab > 0) entries.set(rec.slice(tab + 1), rec);
  }
  if (![...entries.keys()].some(isTestPath)) return { kind: 'none', why: 'the run started without test files' };
  const edits = baselineTestEdits(parseNameStatusZ(ok(git(mirror, ['diff-tree', '-r', '-z', '--no-renames', '--name-status', base, head], { maxBuffer: LIST_BUFFER }), 'diff-tree')));
  if (noEdits(edits)) return { kind: 'none', why: 'the run changed no test file' };
  const zero = '0'.repeat(head.length);
  const info = [...edits.restore.map((p) => entries.get(p) ?? `0 ${zero}\t${p}`), ...edits.remove.map((p) => `0 ${zero}\t${p}`)].join('\0') + '\0';
  const index = join(mirror, `peers-counterfactual-${randomBytes(6).toString('hex')}.index`);
  try {
    const env = { GIT_INDEX_FILE: index };
    ok(git(mirror, ['read-tree', head], { env }), 'read-tree');
    ok(git(mirror, ['update-index', '--replace', '-z', '--index-info'], { env, input: info }), 'update-index');
    const tree = ok(git(mirror, ['write-tree'], { env }), 'write-tree').trim();
    const msg = `peers: ${head.slice(0, 12)}'s code with the test files the run started with (${base.slice(0, 12)})\n\nPeer: ${SUBSTRATE_PEER}\n`;
    const sha = ok(git(mirror, ['commit-tree', tree, '-p', head], { env: SUBSTRATE_ENV, input: msg }), 'commit-tree').trim();
    return { kind: 'commit', sha, edits };
  } finally {
    rmSync(index, { force: true });
  }
}

function ok(res: { code: number; stdout: string; stderr: string }, what: string): string {
  if (res.code !== 0) throw new Error(`git ${what} failed (exit ${res.code}): ${res.stderr.trim().slice(-300)}`);
  return res.stdout;
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
};

/**
 * The record for `head`: which gates are held (none when the rule does not apply). Measures the
 * gates at the run's start only when a gate is red on the counterfactual, and keeps them. Fails
 * closed: when the counterfactual cannot be built or measured, every gate it would run is held.
 */
export async function measureBaselineTests(o: MeasureBaselineTests): Promise<BaselineTestsRecord> {
  const goals = counterfactualGoals(o.goals);
  const ids = goals.map((g) => g.id);
  const record = (held: string[], detail: string, start = o.start): BaselineTestsRecord => ({ head: o.head, tree: o.tree, held, detail, start });
  if (!goals.length) return record([], 'no gate but peers checks');
  try {
    const cf = counterfactualCommit(o.mirror, o.base, o.head);
    if (cf.kind === 'none') return record([], cf.why);
    const onCf = await o.probe(cf.sha, goals);
    const redOnCf = ids.filter((id) => !onCf.some((r) => r.id === id && r.state === 'pass'));
    if (!redOnCf.length) return record([], `green on ${cf.sha.slice(0, 12)}, with the test files the run started with`);
    const start = o.start ?? Object.fromEntries((await o.probe(o.base, goals)).map((r) => [r.id, r.state]));
    const atStart = ids.map((id) => ({ id, state: start[id] ?? ('fail' as const) }));
    const held = heldByTestChanges(redOnCf, onCf, atStart);
    if (!held.length) return record([], `a behaviour change: ${redOnCf.join(', ')} red with the old tests, green when the run started`, start);
    return record(held, describeHeld(held, cf.edits, cf.sha), start);
  } catch (error) {
    return record(ids, `the gates could not be measured with the test files the run started with (${(error as Error).message}); held until they can`);
  }
}
