/**
 * The repository removed while a command runs in it (`rm -rf` in another terminal, a CI workspace
 * cleaned under a job): the command stops with a message that names the missing directory, exit 2,
 * never exit 70 with "ENOENT posix_spawn 'git'" that sends the user looking for a missing git.
 * The removal happens during `peers verify`'s setup, so it lands between two git calls of a real run.
 */
import { afterAll, expect, test } from 'bun:test';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

test('a repository removed during verify: exit 2 naming the directory, not an internal error', () => {
  const repo = makeRepo(sb.root, 'removed-repo');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  appendFileSync(join(repo, '.peers/config.yaml'), `setup: "rm -rf '${repo}'"\n`);
  const res = runPeers(['verify', '-C', repo], { cwd: sb.root, env: sb.env });
  expect(res.stderr).not.toContain('internal error');
  expect(res.stderr).not.toContain('posix_spawn');
  expect(res.stderr).toContain(`${repo} no longer exists`);
  expect(res.code).toBe(2);
});
