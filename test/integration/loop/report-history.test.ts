/**
 * `peers report` reads the run's history (commits, attested peers, diffstat, bug ledger) through
 * the trusted mirror, or, for a state dir without one, a throwaway read-only view: never by
 * running git in the repository the peers wrote (docs/ARCHITECTURE.md, "The trusted observer").
 * A `git` on PATH records every call, then runs the real git.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readReport } from '../../../src/report/read-report.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { HARD_GOAL_WORK, loop, makeProject, type Project } from './harness.ts';

let p: Project | undefined;
let savedPath: string | undefined;
beforeEach(() => {
  savedPath = process.env.PATH;
});
afterEach(() => {
  process.env.PATH = savedPath;
  p?.cleanup();
});

/** Installs the recording git; returns the working directory and GIT_DIR of every call since. */
function recordGitCalls(root: string): () => Array<{ cwd: string; gitDir: string; args: string }> {
  const bin = join(root, 'bin');
  const log = join(root, 'git-calls.log');
  mkdirSync(bin, { recursive: true });
  const real = Bun.which('git', { PATH: savedPath })!;
  writeFileSync(join(bin, 'git'), `#!/bin/sh\n{ printf '%s\\037%s\\037%s\\036' "$PWD" "$GIT_DIR" "$*"; } >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  process.env.PATH = `${bin}:${savedPath}`;
  return () =>
    (existsSync(log) ? readFileSync(log, 'utf8') : '')
      .split('\x1e')
      .filter(Boolean)
      .map((r) => {
        const [cwd = '', gitDir = '', args = ''] = r.split('\x1f');
        return { cwd, gitDir, args };
      });
}

test("the report's commits, peers and merge advice come from the mirror (a host run), a view without one, and a pod run's published branch; git never runs in the repository", async () => {
  p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK] });
  await loop(p, { maxTicks: 2 });
  const calls = recordGitCalls(p.root);
  const inRepo = () => calls().filter((c) => c.cwd === p!.repo || c.cwd.startsWith(`${p!.repo}/`) || c.gitDir.startsWith(p!.repo) || c.args.includes(`-C ${p!.repo}`));

  const host = readReport(p.stateDir, { project: 'app', repo: p.repo }).model;
  expect(host.results?.commits.map((c) => c.peer)).toEqual(['bob', 'alice']);
  expect(host.results?.source).toMatchObject({ kind: 'repository', gitDir: statePaths(p.stateDir).mirror, branch: 'main' });
  expect(renderMarkdown(host)).toContain(`The run committed directly to \`main\` of ${p.repo} (a host run)`);
  expect(calls().length).toBeGreaterThan(0);

  // A state dir from before the mirror: the same history through a read-only view of the repository.
  rmSync(statePaths(p.stateDir).mirror, { recursive: true });
  const viewed = readReport(p.stateDir, { project: 'app', repo: p.repo }).model;
  expect(viewed.results?.commits.map((c) => c.sha)).toEqual(host.results!.commits.map((c) => c.sha));
  // The loop's attestation lives in the mirror only: nothing in the peers' repository credits a commit.
  expect(viewed.results?.commits.map((c) => c.peer)).toEqual([null, null]);
  expect(inRepo()).toEqual([]);

  // A pod run: the run clone beside the mirror, its results published as a branch.
  await loop(p, { maxTicks: 3 }); // the host loop makes its mirror again
  mkdirSync(join(statePaths(p.stateDir).clone, '.git'), { recursive: true });
  writeFileSync(join(statePaths(p.stateDir).run, 'published.json'), JSON.stringify({ branch: 'peers/app', sha: 'x' }));
  const byTheLoop = inRepo().length; // the host loop's workspace runs git there; the report must not
  const pod = readReport(p.stateDir, { project: 'app', repo: p.repo }).model;
  expect(pod.results?.source).toMatchObject({ kind: 'mirror', branch: 'peers/app' });
  expect(renderMarkdown(pod)).toContain('Take them: `git merge peers/app`');
  expect(inRepo().slice(byTheLoop)).toEqual([]);
}, 120_000);
