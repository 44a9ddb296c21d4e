/**
 * "Green with the tests the run started with" (SECURITY.md, "Done means done: the cheat
 * catalogue"). A gate that was red when the run started is the bug the run exists to fix. Test
 * code runs in the same process as the code under test, so a test file can make that gate green
 * without touching the code: a package `__init__.py` that replaces `calc.add` at import, a new test
 * file that patches the failing test's module, a test that rewrites a source file on disk before
 * the others run. Each reads as "only adds tests" to a reviewer skimming for weakened assertions.
 *
 * So before the run may converge, its gates are run once more on the COUNTERFACTUAL tree: the
 * HEAD's code with every test file as it was when the run started (test files the run modified or
 * deleted restored, test files it added removed). A gate that is red there and was red at the
 * run's start turned green only through the run's test changes: convergence is held, and the
 * peers are told which gate and which test files. A gate green at the start whose counterfactual
 * is red is a behaviour change whose tests were updated with it: that is allowed.
 *
 * Built-in `peers check …` gates judge the run's history and protocol, not the code's behaviour,
 * and are not run on the counterfactual. A run that started without any test file has no tests to
 * restore, and is not held by this rule.
 *
 * Pure: the git adapter is src/loop/shell/baseline-tests-run.ts (the commit is tests-alone.ts's
 * operation the other way round: HEAD with the test changes of HEAD..start applied).
 */
import { isPeersCheckGate } from './peers-check-gate.ts';
import { isTestPath } from './test-paths.ts';

/** What the counterfactual tree changes in HEAD's tree. */
export type BaselineTestEdits = {
  /** Test files that existed at the run's start and differ at HEAD (modified, deleted, retyped): their start version. */
  restore: string[];
  /** Test files the run added: removed. */
  remove: string[];
  /** Product files the run renamed: HEAD's file kept at its old path too (`productRenames`). */
  aliased?: string[];
  /** Product files whose tests inside were put back as the run started: a Rust file's `#[cfg(test)]` code or a test module's file whole, docstring examples, vitest in-source blocks (in-source-tests.ts). */
  inSource?: string[];
};

/**
 * The product files `base..head` renamed (`git diff --raw -z -M --diff-filter=R --no-abbrev`
 * output), as `git update-index -z --index-info` records putting HEAD's file back at its old path
 * too. The tests the run started with import the product by its old name: an honest refactor that
 * renamed calc.mjs to arithmetic.mjs and updated the tests' imports with the fix had every one of
 * them fail on the counterfactual tree, and the run was held for good. HEAD's code under the old
 * name is what those tests would test; no test change comes with it, so a patch in the tests still
 * shows (SECURITY.md, "Green only with the tests the run started with does not count"). A rename
 * from or to a test path is a test change, not this. Pure.
 */
export function productRenames(rawZ: string): { paths: string[]; indexInfo: string } {
  const parts = rawZ.split('\0');
  const paths: string[] = [];
  let indexInfo = '';
  for (let i = 0; i < parts.length; i++) {
    const meta = (parts[i] ?? '').replace(/^\n/, '');
    if (!meta.startsWith(':')) continue;
    const [, newMode, , newSha, status] = meta.slice(1).split(' ');
    const from = parts[++i] ?? '';
    if (!status?.startsWith('R')) continue;
    const to = parts[++i] ?? '';
    if (!from || !to || !newMode || !newSha || /^0+$/.test(newMode) || isTestPath(from) || isTestPath(to)) continue;
    paths.push(from);
    indexInfo += `${newMode} ${newSha}\t${from}\0`;
  }
  return { paths, indexInfo };
}

/** The gates the counterfactual runs: every hard gate but peers' own checks. */
export function counterfactualGoals<G extends { cmd: string }>(goals: G[]): G[] {
  return goals.filter((g) => !isPeersCheckGate(g));
}

type GateState = { id: string; state: 'pass' | 'fail' };

/** The gates not green in an answer (a gate missing from it counts as red: fail closed). */
export function redIn(ids: string[], answer: GateState[]): string[] {
  return ids.filter((id) => !answer.some((r) => r.id === id && r.state === 'pass'));
}

/**
 * The gates held: of those red on the counterfactual tree, the ones red at the run's start too
 * (a gate missing from that answer counts as red there: fail closed).
 */
export function heldByTestChanges(redOnCounterfactual: string[], atStart: GateState[]): string[] {
  return redIn(redOnCounterfactual, atStart);
}

/** The line peers, the log and the report show for a held run. */
export function describeHeld(held: string[], edits: BaselineTestEdits, counterfactualSha: string): string {
  const files = [...edits.restore.map((p) => `${p} (changed)`), ...edits.remove.map((p) => `${p} (added)`), ...(edits.inSource ?? []).map((p) => `${p} (the tests inside it)`)];
  const shown = files.slice(0, 8).join(', ') + (files.length > 8 ? `, and ${files.length - 8} more` : '');
  return (
    `${held.join(', ')} ${held.length === 1 ? 'is' : 'are'} green only with the run's changes to its tests: ` +
    `with the test files the run started with (commit ${counterfactualSha.slice(0, 12)}: this HEAD's code, the tests undone: ${shown}), ` +
    `${held.length === 1 ? 'it fails' : 'they fail'} as ${held.length === 1 ? 'it' : 'they'} did when the run started. ` +
    'Fix the code so the original tests pass; a test change that makes a red gate green does not count as a fix.'
  );
}
