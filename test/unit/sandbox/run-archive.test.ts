/**
 * Starting over loses nothing: `peers reset` / `peers up --fresh` move the whole state dir, in one
 * rename, into `<state dir>.archive/<when>-<stop reason>/`, where the run stays readable; a running
 * loop (the run lock) is never archived from under it; the results branch passes to the next run.
 */
import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observedHead } from '../../../src/git/observer.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { statePaths, type StatePaths } from '../../../src/state/paths.ts';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { archiveId, archiveRun, listArchives } from '../../../src/state/run-archive.ts';
import { archiveRootFor } from '../../../src/state/paths.ts';
import { freshState } from '../../../src/state/state-schema.ts';
import { saveState } from '../../../src/state/state-store.ts';
import { writeStopReason } from '../../../src/state/stop-reason.ts';
import { publishRunBranch } from '../../../sandbox/publish-branch.ts';
import { withHistorySource } from '../../../src/report/run-history.ts';
import { describeReset, resetProject } from '../../../sandbox/reset.ts';
import { followLogs } from '../../../sandbox/logs.ts';
import { prepareRunClone } from '../../../sandbox/run-clone.ts';

setDefaultTimeout(60_000);

let root: string;
let paths: StatePaths;
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' };
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', args, { cwd, env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
};

/** A state dir as a stopped run leaves it. */
function stoppedRun(reason: Parameters<typeof writeStopReason>[1], tick = 4, usd = 1.25): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  saveState(paths.state, { ...freshState(['a', 'b']), tick, budget: { ...freshState(['a', 'b']).budget, spent_usd: usd } });
  writeFileSync(paths.runs, `${JSON.stringify({ event: 'exit', ts: '2026-01-01T00:00:00Z', reason: 'complete', ticks_in_run: tick, tick })}\n`);
  writeStopReason(paths.stopReason, reason);
  mkdirSync(join(paths.dir, 'sidecars', 'auth'), { recursive: true });
  writeFileSync(join(paths.dir, 'sidecars', 'auth', 'usage.jsonl'), '');
  writeFileSync(paths.loopLog, '2026-01-01T00:00:00.000000000+00:00 stderr F peers: stopped: complete\n');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'peers-archive-'));
  paths = statePaths(join(root, 'state', 'app-1a2b3c4d'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('archiving a run', () => {
  test('the whole state dir moves in one rename beside it; nothing stays behind; the archive reads as the run it was', () => {
    stoppedRun({ kind: 'complete' });
    const before = readdirSync(paths.dir).sort();
    const a = archiveRun(paths.dir, new Date('2026-02-03T04:05:06.789Z'))!;
    expect(a).toMatchObject({ id: '2026-02-03T04-05-06Z-complete', stopReason: 'complete', tick: 4, spentUsd: 1.25 });
    expect(a.path).toBe(join(root, 'state', 'app-1a2b3c4d.archive', a.id));
    expect(existsSync(paths.dir)).toBe(false);
    // run.lock was taken for the move, so it comes along; everything else is what the run left.
    expect(readdirSync(a.path).filter((f) => f !== 'run.lock').sort()).toEqual(before);
    expect(readRunSummary(a.path).state.tick).toBe(4);
    expect(listArchives(paths.dir)).toEqual([a]);
  });

  test('ids sort by time and say how the run ended; two in one second do not collide', () => {
    expect(archiveId(new Date('2026-02-03T04:05:06Z'), 'budget:max_usd')).toBe('2026-02-03T04-05-06Z-budget-max_usd');
    expect(archiveId(new Date('2026-02-03T04:05:06Z'), null)).toBe('2026-02-03T04-05-06Z-no-stop-reason');
    const at = new Date('2026-02-03T04:05:06Z');
    stoppedRun({ kind: 'budget', cap: 'max_usd' });
    const first = archiveRun(paths.dir, at)!;
    stoppedRun({ kind: 'budget', cap: 'max_usd' });
    const second = archiveRun(paths.dir, at)!;
    expect(second.id).toBe(`${first.id}-2`);
    expect(listArchives(paths.dir).map((x) => x.id)).toEqual([first.id, second.id]);
  });

  test('a project with no run (never started, or only a pause written) has nothing to archive', () => {
    expect(archiveRun(paths.dir)).toBeNull();
    mkdirSync(paths.controlDir, { recursive: true });
    writeFileSync(paths.control, '{}');
    expect(archiveRun(paths.dir)).toBeNull();
    expect(existsSync(archiveRootFor(paths.dir))).toBe(false);
  });

  test('a loop holding the run lock is never archived from under it: refused, nothing moved', () => {
    stoppedRun({ kind: 'interrupted' });
    const lock = acquireRunLock(paths.lock);
    try {
      expect(() => archiveRun(paths.dir)).toThrow('already running');
      expect(existsSync(paths.state)).toBe(true);
      expect(existsSync(archiveRootFor(paths.dir))).toBe(false);
    } finally {
      lock.release();
    }
  });
});

describe('the results branch across a reset', () => {
  test('the next run may replace peers/<project>: the archive hands over what peers had written there; the message says how to keep it', async () => {
    const repo = join(root, 'app');
    git(root, 'init', '-q', '-b', 'main', repo);
    writeFileSync(join(repo, 'README.md'), '# app\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'start');
    prepareRunClone(repo, paths);
    writeFileSync(join(paths.clone, 'work.txt'), 'work\n');
    git(paths.clone, 'add', '.');
    git(paths.clone, 'commit', '-qm', 'old run work');
    new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
    const oldHead = observedHead(paths.mirror)!;
    expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true, sha: oldHead });
    writeStopReason(paths.stopReason, { kind: 'complete' });

    const r = await resetProject({ repo, env: { ...process.env, PEERS_STATE_DIR: paths.dir }, progress: () => {}, upCommand: 'peers up' });
    expect(r.previousResults).toEqual({ branch: 'peers/app', sha: oldHead });
    // The old results are kept as a branch of their own, and the message names it.
    expect(r.kept).toEqual({ kind: 'keep', branch: 'peers/app-previous', sha: oldHead });
    expect(git(repo, 'rev-parse', 'peers/app-previous')).toBe(oldHead);
    expect(describeReset(r, 'peers/app').join('\n')).toContain(`its results: peers/app at ${oldHead.slice(0, 10)}, kept as branch peers/app-previous (\`git log peers/app-previous\`); the new run publishes to peers/app`);
    expect(describeReset(r, 'peers/fix-login').join('\n')).toContain('kept as branch peers/app-previous (`git log peers/app-previous`); the new run publishes to peers/fix-login');
    // The old run's commits are in its archived mirror, whatever happens to the branch.
    expect(git(join(r.archived!.path, 'run', 'mirror.git'), 'cat-file', '-t', oldHead)).toBe('commit');
    // Until the next run publishes, the branch stays where the old run left it.
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(oldHead);

    prepareRunClone(repo, paths);
    const pub = publishRunBranch(repo, paths, 'peers/app');
    expect(pub).toMatchObject({ updated: true, sha: git(repo, 'rev-parse', 'main') });
    expect(git(repo, 'rev-parse', 'peers/app')).toBe(git(repo, 'rev-parse', 'main'));
    expect(JSON.parse(readFileSync(join(paths.dir, 'published-before-reset.json'), 'utf8')).archive).toBe(r.archived!.path);
  });

  test('a second start-over keeps the second run too, under the next free name; a merged or moved branch is not copied', async () => {
    const repo = join(root, 'app');
    git(root, 'init', '-q', '-b', 'main', repo);
    writeFileSync(join(repo, 'README.md'), '# app\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'start');
    const env = { ...process.env, PEERS_STATE_DIR: paths.dir };
    const runOnce = (file: string) => {
      prepareRunClone(repo, paths);
      writeFileSync(join(paths.clone, file), 'work\n');
      git(paths.clone, 'add', '.');
      git(paths.clone, 'commit', '-qm', `work ${file}`);
      new RunObserver({ workDir: paths.clone, mirror: paths.mirror, stage: paths.stage, lenient: false }).sync();
      expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: true });
      writeStopReason(paths.stopReason, { kind: 'complete' });
      return observedHead(paths.mirror)!;
    };
    const first = runOnce('one.txt');
    expect((await resetProject({ repo, env, progress: () => {}, upCommand: 'peers up' })).kept).toMatchObject({ kind: 'keep', branch: 'peers/app-previous' });
    const second = runOnce('two.txt');
    const r2 = await resetProject({ repo, env, progress: () => {}, upCommand: 'peers up' });
    expect(r2.kept).toEqual({ kind: 'keep', branch: 'peers/app-previous-2', sha: second });
    expect(git(repo, 'rev-parse', 'peers/app-previous')).toBe(first);
    // The archive's report names the branch its commits are kept on, not peers/app, which the next run takes.
    expect(withHistorySource(r2.archived!.path, repo, null, (src) => src.branch)).toBe('peers/app-previous-2');

    // Merged into the user's HEAD: nothing to keep, and the line says where the work is.
    const third = runOnce('three.txt');
    git(repo, 'merge', '-q', '--ff-only', 'peers/app');
    const r3 = await resetProject({ repo, env, progress: () => {}, upCommand: 'peers up' });
    expect(r3.kept).toEqual({ kind: 'none', why: 'in-head' });
    expect(describeReset(r3, 'peers/app').join('\n')).toContain(`its results: peers/app at ${third.slice(0, 10)}, already in your HEAD`);

    // Moved by the user since: theirs, not copied (and no run overwrites it).
    runOnce('four.txt');
    git(repo, 'branch', '-f', 'peers/app', 'main');
    const r4 = await resetProject({ repo, env, progress: () => {}, upCommand: 'peers up' });
    expect(r4.kept).toEqual({ kind: 'none', why: 'moved' });
    expect(git(repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/peers/')).toBe('peers/app\npeers/app-previous\npeers/app-previous-2');
  });

  test('without that hand-over, a branch peers did not write in this run is left alone', () => {
    const repo = join(root, 'app');
    git(root, 'init', '-q', '-b', 'main', repo);
    writeFileSync(join(repo, 'README.md'), '# app\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'start');
    git(repo, 'branch', 'peers/app');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'later');
    prepareRunClone(repo, paths);
    expect(publishRunBranch(repo, paths, 'peers/app')).toMatchObject({ updated: false, note: expect.stringContaining('moved outside peers') });
  });
});

describe('after a reset, report and logs say where the run went (as status lists it), never "start a run first" or "never started"', () => {
  test('the report and the logs of a state dir whose run was archived name the archive and how to read it', async () => {
    stoppedRun({ kind: 'complete' });
    const a = archiveRun(paths.dir, new Date('2026-02-03T04:05:06.789Z'))!;
    let report: unknown;
    try {
      readRunSummary(paths.dir);
    } catch (e) {
      report = e;
    }
    const r = report as { message: string; hint: string; exitCode: number };
    expect(r.message).toBe(`no current run in ${paths.dir}: its last run was archived by \`peers reset\` (or \`peers up --fresh\`) to ${a.path}`);
    expect(r.hint).toContain(`peers report --state-dir ${a.path}`);
    expect(r.message + r.hint).not.toContain('start a run first');
    let logs: unknown;
    try {
      // No podman here (a missing binary): only the saved output can answer.
      await followLogs({ project: 'app-1a2b3c4d', follow: false, egress: false, stateDir: paths.dir, io: { env: { ...process.env, PEERS_PODMAN: join(root, 'no-podman') }, stdout: process.stdout, stderr: process.stderr } as never });
    } catch (e) {
      logs = e;
    }
    const l = logs as { message: string; hint: string };
    expect(l.message).toContain(`archived by \`peers reset\` (or \`peers up --fresh\`) to ${a.path}`);
    expect(l.message).not.toContain('never started');
    expect(l.hint).toContain(`its loop output: ${statePaths(a.path).loopLog}`);
  });
});
