/**
 * Two peers commands publish the run's branch at the same moment: `peers down` beside an attached
 * `peers up`, both at the loop's end. git refused the slower one's fetch ("cannot lock ref … is at
 * X but expected Y") and `down` told the user it "could not update" a branch that was in fact
 * right. Now the loser looks again (sandbox/publish-branch.ts). Real git, two real processes
 * released together, a new run commit each round.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';
import type { PublishResult } from '../../../sandbox/publish-branch.ts';
import { waitFor } from '../../wait-for.ts';

setDefaultTimeout(120_000);

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, args: string[]) => {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const root = mkdtempSync(join(tmpdir(), 'peers-publish-race-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('two commands publishing the branch at once both report it published, at the run\'s head', async () => {
  const repo = join(root, 'app');
  git(root, ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), '# app\n');
  git(repo, ['add', '.']);
  git(repo, ['commit', '-qm', 'readme']);
  const paths = statePaths(join(root, 'state'));
  prepareRunClone(repo, paths);
  const child = join(import.meta.dir, 'publish-race-child.ts');
  // Without the second look, 6 of 8 rounds had one command saying "could not update".
  for (let round = 0; round < 6; round++) {
    writeFileSync(join(paths.clone, `f${round}`), `${round}\n`);
    git(paths.clone, ['add', '.']);
    git(paths.clone, ['commit', '-qm', `work ${round}`]);
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
    const head = git(paths.clone, ['rev-parse', 'HEAD']);
    const go = join(root, `go-${round}`);
    const ready = [0, 1].map((n) => join(root, `ready-${round}-${n}`));
    const procs = ready.map((r) => Bun.spawn([process.execPath, child, repo, paths.dir, go, r], { stdout: 'pipe', stderr: 'pipe' }));
    await waitFor('both publishers started', () => ready.every((r) => existsSync(r)), 60_000, 5);
    writeFileSync(go, '');
    for (const p of procs) {
      const out = await new Response(p.stdout).text();
      expect(await p.exited, await new Response(p.stderr).text()).toBe(0);
      const r = JSON.parse(out) as PublishResult;
      expect(r.note, `round ${round}`).toBeUndefined();
      expect(r.sha).toBe(head);
    }
    expect(git(repo, ['rev-parse', 'refs/heads/peers/app'])).toBe(head);
  }
});
