/**
 * The modules under mutation testing and the focused test files that must kill their mutants.
 * Mostly the pure core: decisions without processes, sockets or git, whose tests run in well under
 * a second, so each mutant costs one short `bun test` run. The git-backed protocol modules list
 * their git-free tests first, so `--bail` kills most mutants before the real-repository tests run.
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

/** The pure loop modules are exercised through tick.ts as well as directly: all of these tests count. */
const LOOP_CORE = ['tick-bookkeeping', 'convergence-resume', 'operator-control', 'stop-check', 'turn-order', 'health-budget', 'peer-sleep', 'pod-health', 'up-decision'];

export const TARGETS: MutationTarget[] = [
  loop('tick', ...LOOP_CORE),
  loop('convergence', ...LOOP_CORE),
  loop('stop-check', ...LOOP_CORE),
  loop('peer-health', ...LOOP_CORE),
  loop('turn-order', ...LOOP_CORE),
  loop('budget-ledger', ...LOOP_CORE),
  loop('backoff', 'health-budget'),
  loop('operator-actions', ...LOOP_CORE),
  loop('runtime-change', 'operator-control', 'up-decision'),
  loop('up-decision', 'up-decision', 'pod-health'),
  loop('pod-health', 'pod-health'),
  loop('handoff-check', 'handoff-check'),
  loop('classify', 'classify', 'failure-cause', 'peer-sleep'),
  loop('failure-cause', 'failure-cause'),
  loop('peer-sleep', 'peer-sleep'),
  loop('expensive-gates', 'expensive-gates'),
  protocol('json-blocks', 'json-blocks'),
  protocol('gate-surface', 'gate-surface'),
  protocol('approvals', 'approvals'),
  protocol('escape-valves', 'escape-valves', 'approvals'),
  protocol('test-markers', 'test-markers-diff', 'test-markers'),
  protocol('soft-reviews', 'soft-reviews-tally', 'soft-reviews'),
  protocol('attestation', 'attestation'),
  protocol('bug-tdd', 'bug-tdd'),
  protocol('turn-diff', 'turn-diff', 'anti-cheat'),
  protocol('bug-ledger', 'bug-ledger-build', 'bug-ledger'),
  protocol('anti-cheat', 'anti-cheat-decision', 'anti-cheat', 'anti-cheat-revert'),
  { source: 'src/git/trailers.ts', tests: ['test/unit/trailers.test.ts'] },
  { source: 'src/git/diff-header.ts', tests: ['test/unit/git/diff-header.test.ts', 'test/unit/protocol/turn-diff.test.ts', 'test/unit/protocol/test-markers.test.ts'] },
  { source: 'proxy/address-guard.ts', tests: ['test/unit/proxy/address-guard.test.ts'] },
  { source: 'auth-proxy/unbilled-throttle.ts', tests: ['test/unit/auth-proxy/unbilled-throttle.test.ts'] },
  usage('usage-extract', 'usage-extract', 'usage-parsing'),
  usage('sse-parser', 'usage-extract', 'usage-parsing'),
  usage('usage-ledger', 'usage-ledger-file'),
  usage('budget', 'budget-caps'),
  usage('request-cost', 'request-cost'),
  usage('price-table', 'price-table', 'request-cost'),
  usage('reply-meter', 'reply-meter'),
  usage('limit-reply', 'limit-reply'),
];
