/**
 * A turn the loop's stop cuts short is closed as that turn (the new-user trial: `peers down` while
 * claude ran a long command, after it had committed `wip: discount` and left more of it
 * uncommitted). The resumed run reported the commit as made "outside any peer's turn", and its
 * first turn found claude's uncommitted files and was charged with them. Here the real host loop
 * is stopped in that turn, by SIGTERM (`peers down`: the loop closes the turn before it exits) and
 * by SIGKILL (the next start closes it), and resumed. Either way: the commit is credited to the
 * interrupted peer, its uncommitted files are in the leftover patch named for its tick, the next
 * turn starts on a clean tree and is not charged with them, and nothing of the work is lost.
 */
import { afterEach, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitOk } from '../../../src/git/git.ts';
import { readAttestations } from '../../../src/protocol/attestation.ts';
import { leftoverPatchFile, statePaths } from '../../../src/state/paths.ts';
import { waitFor } from '../../wait-for.ts';
import { loop, makeProject, state, stopReason, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const SPEC = {
  peers: { alice: 'commits-then-hangs', bob: 'always-handoff' },
  // The long command must outlast the stop, not an idle timeout.
  health: { idle_timeout_s: 120, absolute_max_runtime_s: 300 },
};

/** The interrupted turn has committed and left its files uncommitted. */
function turnHasWorked(project: Project): boolean {
  const log = git(project.repo, ['log', '--format=%s', '-1']);
  return log.code === 0 && log.stdout.trim() === 'wip: discount' && existsSync(join(project.repo, 'PLAN-NOTES.md'));
}

async function resumeAndCheck(project: Project, logged: string[]): Promise<void> {
  const wip = gitOk(project.repo, ['rev-parse', 'HEAD']).trim();
  const resumed = await loop(project, { maxTicks: 1, log: (l) => logged.push(l) });
  expect(resumed.reason).toBe('max_ticks');
  // The trial's symptoms first: the commit is alice's, not "outside any peer's turn".
  expect(logged.join('\n')).not.toContain("outside any peer's turn");
  expect(readAttestations(statePaths(project.stateDir).mirror).get(wip)).toBe('alice');
  const all = ticks(project);
  const first = all.find((t) => t.tick === 1)!;
  // The interrupted turn is tick 1, alice's: recorded as interrupted, its commit kept and credited to it.
  expect(first.peer).toBe('alice');
  expect(first.interrupted).toBe(true);
  expect(first.head_after).toBe(wip);
  expect(first.dirty_paths).toEqual(expect.arrayContaining(['PLAN-NOTES.md', 'src/discount.js']));
  expect(all.flatMap((t) => (t.unattested_commits as string[] | undefined) ?? [])).not.toContain(wip);
  expect(state(project).unattested).not.toContain(wip);
  // Not alice's failure: the operator stopped it.
  expect(state(project).peers.alice!.last_failure ?? null).toBeNull();
  expect(state(project).peers.alice!.state).toBe('healthy');
  expect(state(project).budget.consecutive_failures).toBe(0);
  // Its uncommitted work is in the patch named for its tick and peer, and nowhere else.
  const patch = readFileSync(leftoverPatchFile(statePaths(project.stateDir), 1, 'alice'), 'utf8');
  expect(patch).toContain('important half-done work');
  expect(patch).toContain('exports.more = 1;');
  // The resumed first turn is alice's again (the stop cost it nothing), on a clean tree: it hands
  // off (its `git add -A` would have swept the leftovers into its commit) and is not charged with them.
  const second = all.find((t) => t.tick === 2)!;
  expect(second.peer).toBe('alice');
  expect(second.interrupted).toBeUndefined();
  expect(second.success).toBe(true);
  expect(second.dirty_paths).toEqual([]);
  expect(JSON.stringify(second)).not.toContain('PLAN-NOTES.md');
  expect(gitOk(project.repo, ['show', '--name-only', '--format=', 'HEAD'])).not.toContain('PLAN-NOTES.md');
  expect(logged.filter((l) => l.includes('left uncommitted changes; saved in the run\'s state directory as'))).toHaveLength(1);
  expect(logged.filter((l) => /tick 2 .*uncommitted/.test(l))).toEqual([]);
  // Nothing is lost: the commit is in the run's history and the patch applies to where it ended.
  expect(git(project.repo, ['merge-base', '--is-ancestor', wip, 'HEAD']).code).toBe(0);
  const check = git(project.repo, ['apply', '--check', '--index', leftoverPatchFile(statePaths(project.stateDir), 1, 'alice')]);
  expect(check.stderr).toBe('');
  expect(check.code).toBe(0);
}

test('peers down during a turn (SIGTERM): the loop closes it as that turn; the resumed run does not blame the next one', async () => {
  p = makeProject(SPEC);
  const project = p;
  const ctl = new AbortController();
  const logged: string[] = [];
  const running = loop(project, { signal: ctl.signal, maxTicks: 10, log: (l) => logged.push(l) });
  await waitFor('alice to commit and leave files', () => turnHasWorked(project), 60_000);
  ctl.abort();
  expect((await running).reason).toBe('interrupted');
  expect(stopReason(project)).toBe('interrupted');
  // Closed before the loop exited: recorded, and no turn left for the next start to close.
  expect(ticks(project).map((t) => [t.tick, t.peer, t.interrupted])).toEqual([[1, 'alice', true]]);
  expect(existsSync(join(project.stateDir, 'turn.json'))).toBe(false);
  expect(existsSync(join(project.repo, 'PLAN-NOTES.md'))).toBe(false);
  expect(logged.join('\n')).toMatch(/tick 1 interrupted/);
  await resumeAndCheck(project, logged);
}, 160_000);

test('a loop killed during a turn (SIGKILL): the next start closes it as that turn before any other', async () => {
  p = makeProject(SPEC);
  const project = p;
  const tmp = join(project.root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'loop-entry.ts'), project.repo, project.stateDir, '10'], { stdout: 'ignore', stderr: 'ignore', env: { ...process.env, TMPDIR: tmp } });
  await waitFor('alice to commit and leave files', () => turnHasWorked(project), 60_000);
  child.kill('SIGKILL');
  await child.exited;
  expect(ticks(project)).toEqual([]);
  const logged: string[] = [];
  await resumeAndCheck(project, logged);
  expect(logged.join('\n')).toContain("tick 1 (alice's turn");
}, 160_000);
