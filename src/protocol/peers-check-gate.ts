/**
 * A gate whose command is one of peers' own checks (`peers check <id>`): it judges the run's
 * history and protocol (markers, the bug ledger, reviews), not the code's behaviour. These run
 * first (src/gates/gate-engine.ts), where gates share a checkout and where each has its own copy
 * alike (a mode's check may run the peers' tests); and they are not run on the counterfactual tree
 * of src/protocol/baseline-tests.ts.
 */
export function isPeersCheckGate(goal: { cmd: string }): boolean {
  return /^\s*peers\s+check(\s|$)/.test(goal.cmd);
}
