/**
 * Starts a real run in the real pod with the scripted model server as the vendors' stand-in, the
 * way `peers demo` does (sandbox/up.ts with `upstream: 'model-server'` and the demo's own model
 * server dir), for test/e2e/pod-budget.test.ts. Run by bun as the unprivileged test user:
 *
 *   bun test/e2e/budget-pod-up.ts REPO SERVER_DIR
 *
 * REPO must be a `peers init`ed repository with its .peers/ files written; SERVER_DIR holds
 * scenario.yaml. Prints `peers up`'s progress on stderr and {project, stateDir} on stdout.
 */
import { up } from '../../sandbox/up.ts';
import { stateDirFor } from '../../src/state/paths.ts';

const [repo, serverDir] = process.argv.slice(2);
if (!repo || !serverDir) throw new Error('usage: budget-pod-up.ts REPO SERVER_DIR');
const r = await up({ target: repo, allow: [], progress: (l) => process.stderr.write(`peers up: ${l}\n`), env: process.env, upstream: 'model-server', modelServerDir: serverDir });
process.stdout.write(`${JSON.stringify({ project: r.project, stateDir: stateDirFor(repo, process.env) })}\n`);
