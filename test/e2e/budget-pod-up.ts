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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../../sandbox/up.ts';
import { stateDirFor } from '../../src/state/paths.ts';

const [repo, serverDir, ...rest] = process.argv.slice(2);
if (!repo || !serverDir || rest.some((a) => a !== '--accept-changes')) throw new Error('usage: budget-pod-up.ts REPO SERVER_DIR [--accept-changes]');
// --accept-changes as `peers up --accept-changes`: adopt a .peers/ edited since the last run.
const acceptChanges = rest.includes('--accept-changes');
// The CLIs' homes, in the run clone's .git/ as `peers demo` makes them (apps/demo/pod-launcher.ts):
// codex refuses to start without an existing CODEX_HOME.
const prepareClone = (clone: string) => {
  for (const home of ['claude', 'codex/.codex']) mkdirSync(join(clone, '.git', 'peers-demo-homes', home), { recursive: true, mode: 0o700 });
};
const r = await up({ target: repo, allow: [], progress: (l) => process.stderr.write(`peers up: ${l}\n`), env: process.env, upstream: 'model-server', modelServerDir: serverDir, acceptChanges, prepareClone });
process.stdout.write(`${JSON.stringify({ project: r.project, stateDir: stateDirFor(repo, process.env) })}\n`);
