/**
 * One peers command publishing the run's branch (publish-race.test.ts): says it is ready, waits
 * for the go file, publishes, prints the result as JSON.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { statePaths } from '../../../src/state/paths.ts';

const [repo, stateDir, go, ready] = process.argv.slice(2) as [string, string, string, string];
writeFileSync(ready, '');
while (!existsSync(go)) Bun.sleepSync(1);
console.log(JSON.stringify(publishRunBranch(repo, statePaths(stateDir), 'peers/app')));
