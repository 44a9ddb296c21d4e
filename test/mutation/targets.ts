/**
 * The modules under mutation testing and the focused test files that must kill their mutants.
 * Only the pure core is here: decisions without processes, sockets or git, whose tests run in
 * well under a second, so each mutant costs one short `bun test` run.
 */
export type MutationTarget = { source: string; tests: string[] };

const loop = (name: string, ...tests: string[]): MutationTarget => ({
  source: `src/loop/${name}.ts`,
  tests: tests.map((t) => `test/unit/loop/${t}.test.ts`),
});
const protocol = (name: string, ...tests: string[]): MutationTarget => ({
  source: `src/protocol/${name}.ts`,
  tests: tests.map((t) => `test/unit/protocol/${t}.test.ts`),
});
const usage = (name: string, ...tests: string[]): MutationTarget => ({
  source: `auth-proxy/usage/${name}.ts`,
  tests: tests.map((t) => `test/unit/auth-proxy/${t}.test.ts`),
});

export const TARGETS: MutationTarget[] = [
  loop('tick', 'convergence-resume', 'operator-control', 'stop-check', 'turn-order', 'health-budget', 'peer-sleep', 'pod-health'),
  loop('convergence', 'convergence-resume'),
  loop('stop-check', 'stop-check', 'operator-control'),
  loop('peer-health', 'health-budget'),
  loop('turn-order', 'turn-order'),
  loop('budget-ledger', 'health-budget'),
  loop('backoff', 'health-budget'),
  loop('operator-actions', 'convergence-resume', 'operator-control'),
  loop('runtime-change', 'operator-control'),
  loop('up-decision', 'up-decision', 'pod-health'),
  loop('pod-health', 'pod-health'),
  loop('handoff-check', 'handoff-check'),
  loop('classify', 'classify', 'failure-cause'),
  loop('failure-cause', 'failure-cause'),
  loop('peer-sleep', 'peer-sleep'),
  protocol('json-blocks', 'json-blocks'),
  protocol('gate-surface', 'gate-surface'),
  protocol('approvals', 'approvals'),
  { source: 'src/protocol/trailers.ts', tests: ['test/unit/trailers.test.ts'] },
  { source: 'proxy/address-guard.ts', tests: ['test/unit/proxy/address-guard.test.ts'] },
  usage('usage-extract', 'usage-extract', 'usage-parsing'),
  usage('sse-parser', 'usage-extract', 'usage-parsing'),
  usage('usage-ledger', 'usage-ledger'),
];
