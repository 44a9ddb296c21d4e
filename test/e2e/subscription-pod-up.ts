/**
 * Starts a real run with `--credentials oauth-file` in the real pod, its vendors the local
 * stand-in of test/e2e/stand-in-vendor.ts (sandbox/test-upstream.ts: refused unless
 * PEERS_EGRESS_TEST_MODE=1 is set, which the test does for this process only), for
 * test/e2e/pod-subscriptions.test.ts. Run by bun as the unprivileged test user:
 *
 *   bun test/e2e/subscription-pod-up.ts REPO CA_FILE
 *
 * The login files are wherever CLAUDE_CONFIG_DIR and CODEX_HOME say, as for the CLIs themselves.
 * Prints `peers up`'s progress on stderr and {project, stateDir} on stdout.
 */
import { up } from '../../sandbox/up.ts';
import { HOST_LOOPBACK_FROM_EGRESS } from '../../sandbox/test-upstream.ts';
import { stateDirFor } from '../../src/state/paths.ts';
import { VENDOR_NAMES } from './stand-in-vendor.ts';

const [repo, caFile, ...rest] = process.argv.slice(2);
if (!repo || !caFile || rest.length) throw new Error('usage: subscription-pod-up.ts REPO CA_FILE');
const r = await up({
  target: repo,
  allow: [],
  credentials: 'oauth-file',
  testUpstream: { resolve: VENDOR_NAMES.map((n) => `${n}=${HOST_LOOPBACK_FROM_EGRESS}`), caFile },
  progress: (l) => process.stderr.write(`peers up: ${l}\n`),
  env: process.env,
});
process.stdout.write(`${JSON.stringify({ project: r.project, stateDir: stateDirFor(repo, process.env) })}\n`);
