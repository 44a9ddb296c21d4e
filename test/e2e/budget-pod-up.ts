/**
 * Starts a real run in the real pod with the scripted model server as the vendors' stand-in, the
 * way `peers demo` does (sandbox/up.ts with `upstream: 'model-server'` and the demo's own model
 * server dir), for test/e2e/pod-budget.test.ts. Run by bun as the unprivileged test user:
 *
 *   bun test/e2e/budget-pod-up.ts REPO SERVER_DIR [--accept-changes]
 *
 * REPO must be a `peers init`ed repository with its .peers/ files written; SERVER_DIR holds
 * scenario.yaml. Prints `peers up`'s progress on stderr and {project, stateDir} on stdout.
 */
import { up } from '../../sandbox/up.ts';
import { stateDirFor } from '../../src/state/paths.ts';

const [repo, serverDir, ...rest] = process.argv.slice(2);
if (!repo || !serverDir || rest.some((a) => a !== '--accept-changes')) throw new Error('usage: budget-pod-up.ts REPO SERVER_DIR [--accept-changes]');
// --accept-changes as `peers up --accept-changes`: adopt a .peers/ edited since the last run.
const acceptChanges = rest.includes('--accept-changes');
const r = await up({ target: repo, allow: [], progress: (l) => process.stderr.write(`peers up: ${l}\n`), env: process.env, upstream: 'model-server', modelServerDir: serverDir, acceptChanges });
process.stdout.write(`${JSON.stringify({ project: r.project, stateDir: stateDirFor(repo, process.env) })}\n`);
