/**
 * `peers up` that made the run clone but never started the loop (here `--clone-only`; also an up
 * stopped by a missing image or a Ctrl-C before the pod ran), then `peers down`, new commits, and
 * `peers up` again: the run starts from the HEAD the user has now. It used to "continue" the
 * never-started run from the old HEAD, leaving the new commits out of the run.
 */
import { afterAll, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

test('up, down, commit, up: a run that never started is made again from the new HEAD', () => {
  const repo = makeRepo(sb.root, 'app');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  expect(runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env }).code).toBe(0);
  expect(runPeers(['down'], { cwd: repo, env: sb.env }).code).toBe(0);
  writeFileSync(join(repo, 'feature.txt'), 'the fix the run must start from\n');
  gitIn(repo, ['add', 'feature.txt']);
  gitIn(repo, ['commit', '-q', '-m', 'feature']);
  const head = gitIn(repo, ['rev-parse', 'HEAD']);
  const again = runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env });
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`made the run clone`);
  expect(again.stderr).toContain(`from your HEAD ${head.slice(0, 10)}`);
  expect(again.stderr).not.toContain('has moved since the run started');
  const clone = /run clone ready at (.+) \(/.exec(again.stdout)![1]!;
  expect(gitIn(clone, ['rev-parse', 'HEAD'])).toBe(head);
}, 120_000);

test('a .peers/ edited after an up that never started a run is taken as it is: no run to resume, so no "changed since the last run" and no --accept-changes', () => {
  const repo = makeRepo(sb.root, 'edited');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  expect(runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env }).code).toBe(0);
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals:\n  - { id: tests, type: hard, cmd: "true", pass_when: exit_code == 0 }\n');
  const again = runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env });
  expect(again.stderr).not.toContain('changed since the last run');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain('adopted the changed control plane: .peers/goals.yaml modified');
}, 120_000);
