/**
 * `peers check self-review-on-handoff` before any peer has handed off: nothing to judge, so it
 * passes with a note (a fresh repository's `peers verify` is green); once a handoff exists it is
 * judged as always, and a handoff cannot be hidden behind more history than the check reads.
 */
import { afterEach, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { makeRepo, sh, type Repo } from '../../unit/protocol/git-fixture.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const check = (dir: string) => spawnSync(process.execPath, [join(ROOT, 'src/main.ts'), 'check', 'self-review-on-handoff', dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let repo: Repo;
afterEach(() => repo?.cleanup());

test('no handoff yet → pass with a note; the first handoff without a self-review → fail', () => {
  repo = makeRepo();
  repo.commit('Initial library', { 'index.js': 'module.exports = 1;\n' });
  sh(repo.dir, ['tag', 'peers-baseline']);
  let r = check(repo.dir);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('no commit with "Peer-Status: handoff" since peers-baseline yet; nothing to check until a peer hands off');

  repo.commit('Quick fix\n\nPeer: bob\nPeer-Status: handoff\nSelf-Review: pass', { 'index.js': 'module.exports = 2;\n' });
  r = check(repo.dir);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('"Quick fix": the body has no "## Self-Review" section');
});

test('without the baseline tag the whole history is read; an empty repository passes too', () => {
  repo = makeRepo();
  expect(check(repo.dir).status).toBe(0);
  repo.commit('one');
  const r = check(repo.dir);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('no commit with "Peer-Status: handoff" yet');
});

test('more commits than the check reads, none a handoff: fail, never a silent pass', () => {
  repo = makeRepo();
  repo.commit('Bad handoff\n\nPeer: bob\nPeer-Status: handoff\nSelf-Review: fail');
  // 1000 plain commits on top, made in one go with fast-import.
  const head = sh(repo.dir, ['rev-parse', 'HEAD']).trim();
  let stream = '';
  for (let i = 1; i <= 1000; i++) stream += `commit refs/heads/main\ncommitter T <t@t> ${1_700_000_000 + i} +0000\ndata 5\nc${String(i).padStart(4, '0')}\n${i === 1 ? `from ${head}\n` : ''}\n`;
  const fi = spawnSync('git', ['fast-import', '--quiet', '--force'], { cwd: repo.dir, input: stream, encoding: 'utf8' });
  expect(fi.stderr).toBe('');
  expect(fi.status).toBe(0);
  const r = check(repo.dir);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('no commit with "Peer-Status: handoff" among the newest 1000');
});
