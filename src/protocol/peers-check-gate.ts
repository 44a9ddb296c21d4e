/**
 * A gate whose command is one of peers' own checks (`peers check <id>`): it judges the run's
 * history and protocol (markers, the bug ledger, reviews), not the code's behaviour, and it runs
 * no peer code. Gates of one probe share a checkout, and a gate that runs the peers' code can
 * change it (even its `.git`), so these run first, in the checkout as it was made
 * (src/gates/gate-engine.ts); and they are not run on the counterfactual tree of
 * src/protocol/baseline-tests.ts.
 */
export function isPeersCheckGate(goal: { cmd: string }): boolean {
  return /^\s*peers\s+check(\s|$)/.test(goal.cmd);
}
