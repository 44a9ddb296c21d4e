/**
 * A gate whose command is one of peers' own checks (`peers check <id>`): it judges the run's
 * history and protocol (markers, the bug ledger, reviews), not the code's behaviour. These run
 * first (src/gates/gate-engine.ts); and they are not run on the counterfactual tree of
 * src/protocol/baseline-tests.ts.
 */
export function isPeersCheckGate(goal: { cmd: string }): boolean {
  return /^\s*peers\s+check(\s|$)/.test(goal.cmd);
}

/**
 * The built-in checks (modes/checks/index.ts) that run none of the project's code: they read git
 * objects, notes and files, and write nothing into the checkout. Not listed: `no-prior-regression`
 * (runs the test suite), `lint-clean` and `type-clean` (run the project's tools), and any check
 * added later until someone looks (test/unit/protocol/peers-check-gate.test.ts lists every one).
 */
export const CHECKS_RUNNING_NO_PROJECT_CODE: readonly string[] = [
  'self-review-on-handoff', 'bug-hunt-clean', 'bug-tdd', 'no-secrets', 'no-new-skip-markers', 'test-coverage-3-class', 'deps-justified',
  'api-stable', 'diff-size-per-resolve', 'description-files-present', 'description-sections-present', 'description-converged',
  'codemap-grounded', 'codemap-signature-match', 'codemap-complete', 'codemap-summaries-complete', 'architecture-grounded',
  'plan-complete', 'plan-original-preserved', 'plan-step-traceable', 'checkoff-by-other-peer', 'delivery-report-complete',
  'contracts-unchanged', 'no-shortcut-markers', 'honesty-audit',
];

/**
 * A gate that is exactly `peers check <id>` (nothing else on the line) of a check that runs no
 * project code: nothing it runs can change the checkout, so these share the checkout as setup left
 * it, side by side, before any gate that runs the peers' code gets its own copy (gate-engine.ts,
 * `evaluateIsolated`; SECURITY.md, "Each gate starts from the state right after setup").
 */
export function runsNoPeerCode(goal: { cmd: string }): boolean {
  const id = /^\s*peers\s+check\s+([a-z0-9-]+)\s*$/.exec(goal.cmd)?.[1];
  return id !== undefined && CHECKS_RUNNING_NO_PROJECT_CODE.includes(id);
}
