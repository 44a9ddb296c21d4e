/**
 * `peers up --clone-only` on a large repository (here 40 MiB of committed history that does not
 * compress) says what it is doing before the long copy into the run's mirror and clone, with the
 * size, instead of seconds of silence; a small repository gets no such line (nothing to wait for).
 */
import { afterAll, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

test('a large repository: up --clone-only names the copy and its size before making the run clone', () => {
  const repo = makeRepo(sb.root, 'assets');
  for (let i = 0; i < 4; i++) writeFileSync(join(repo, `texture-${i}.bin`), randomBytes(10 * 1024 * 1024));
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'textures']);
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  const up = runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env });
  expect(up.code).toBe(0);
  const copying = up.stderr.search(/copying your history \(4\d MiB\)/);
  expect(copying).toBeGreaterThanOrEqual(0);
  expect(up.stderr.indexOf('made the run clone')).toBeGreaterThan(copying);

  const small = makeRepo(sb.root, 'small');
  expect(runPeers(['init'], { cwd: small, env: sb.env }).code).toBe(0);
  const smallUp = runPeers(['up', '--clone-only'], { cwd: small, env: sb.env });
  expect(smallUp.code).toBe(0);
  expect(smallUp.stderr).not.toContain('copying your history');
}, 120_000);
