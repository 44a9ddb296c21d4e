/**
 * A host loop killed with SIGKILL mid-turn (issue: orphans, attestation). The peer it supervised
 * must not outlive it, and nothing a turn did not make is ever credited to a peer: before, the
 * orphaned peer went on committing, and its commit landed in the other peer's turn and was
 * attested to that peer. What the cut-short turn did make is its own peer's: the restart closes
 * that turn (interrupted) before any other.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { statusJson } from '../../../src/report/status-text.ts';
import { listProcesses, processIdentity } from '../../../src/proc/proc-table.ts';
import { GUARD_SCRIPT } from '../../../src/proc/parent-death-guard.ts';
import { readAttestations } from '../../../src/protocol/attestation.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { makeProject, spawnLoopCli, state, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const running = (pid: number) => {
  const id = processIdentity(pid);
  return id !== null && !id.zombie;
};

async function waitFor(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

function commits(repo: string): Array<{ sha: string; subject: string }> {
  return gitOk(repo, ['log', '--format=%H %s', 'HEAD'])
    .trim()
    .split('\n')
    .map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) }));
}

/** The watchers the parent-death guard leaves beside each supervised child (parent-death-guard.ts). */
function guardWatchers(): number[] {
  return listProcesses()
    .filter((p) => !p.zombie)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(GUARD_SCRIPT);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

async function killedMidTurn(opts: { killWatchersFirst: boolean }) {
  p = makeProject({ peers: { alice: 'orphan-after-kill', bob: 'waits-for-orphan' }, health: { idle_timeout_s: 60, absolute_max_runtime_s: 120 } });
  const faults = join(p.root, 'faults');
  mkdirSync(faults);
  const env = { FAULT_DIR: faults };
  const first = spawnLoopCli(p, ['--max-ticks', '5'], env);
  await waitFor(() => existsSync(join(faults, 'first-done')), "alice's first commit");
  const orphan = Number(readFileSync(join(faults, 'orphan-pid'), 'utf8'));
  expect(running(orphan)).toBe(true);
  if (opts.killWatchersFirst) {
    // The guard's watcher killed too (a `kill -9` of everything but the peer): the reaper at the
    // next start is what stops the orphan then.
    const watchers = guardWatchers().filter((w) => processIdentity(w)?.pgid === processIdentity(orphan)?.pgid);
    expect(watchers.length).toBeGreaterThan(0);
    for (const w of watchers) process.kill(w, 'SIGKILL');
  }
  first.kill('SIGKILL');
  await first.exited;
  const second = spawnLoopCli(p, ['--max-ticks', '2'], env);
  const err = new Response(second.stderr).text();
  expect(await second.exited).toBe(0);
  return { faults, orphan, err: await err };
}

describe('SIGKILL of the host loop mid-turn', () => {
  for (const killWatchersFirst of [false, true]) {
    test(`the orphaned peer is stopped, never commits into another turn, and its cut-short turn is closed as its own${killWatchersFirst ? ' (guard watcher killed too: the reaper at restart)' : ''}`, async () => {
      const { faults, orphan, err } = await killedMidTurn({ killWatchersFirst });
      const project = p!;
      // The orphan did not survive into the next run, so it never committed during bob's turn.
      expect(running(orphan)).toBe(false);
      expect(existsSync(join(faults, 'orphan-committed'))).toBe(false);
      if (killWatchersFirst) expect(err).toMatch(/stopped \d+ process\(es\) an earlier loop \(pid \d+\) left running/);
      const history = commits(project.repo);
      expect(history.some((c) => c.subject.startsWith('orphan:'))).toBe(false);
      // The cut-short turn's commit: made in alice's turn, which the restart closed as alice's
      // (interrupted) before any other turn: credited to alice, never reported as outside a turn.
      const cut = history.find((c) => c.subject === 'alice: work of a turn cut short')!;
      expect(cut).toBeDefined();
      const notes = readAttestations(statePaths(project.stateDir).mirror);
      expect(notes.get(cut.sha)).toBe('alice');
      const all = ticks(project);
      expect(all[0]).toMatchObject({ tick: 1, peer: 'alice', interrupted: true, head_after: cut.sha });
      for (const t of all) expect(t.unattested_commits).toBeUndefined();
      expect(err).not.toContain("made outside any peer's turn");
      expect(state(project).unattested).toEqual([]);
      expect(statusJson(readRunSummary(project.stateDir)).unattested_commits ?? []).toEqual([]);
      // Every attested commit of the run is the peer's whose tick made it.
      for (const t of all) {
        const made = gitOk(project.repo, ['rev-list', `${t.head_before}..${t.head_after}`]).trim().split('\n').filter(Boolean);
        for (const sha of made) expect(notes.get(sha)).toBe(t.peer as string);
      }
      expect([...notes.values()].filter((n) => n === 'bob').length).toBeLessThanOrEqual(1);
    }, 90_000);
  }
});
