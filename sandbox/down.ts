/**
 * `peers down`: SIGTERM to the loop (it persists its state and writes its stop reason), wait up to
 * the grace period, then remove the pod and the loop, setup, gates and egress containers — nothing
 * is left behind. Then publish the run's branch from the trusted mirror (publish-branch.ts), and
 * prove the run left the user's repository alone: its fingerprint (repo-fingerprint.ts) is
 * compared with the one `peers up` took, and the result is reported either way.
 */
import { existsSync } from 'node:fs';
import { leftoverPatchFile, projectKey, stateDirFor, statePaths, type StatePaths } from '../src/state/paths.ts';
import { readLiveTurn, type LiveTurn } from '../src/state/live-turn.ts';
import { readRunLog, tickLines } from '../src/state/run-log.ts';
import { podLockWaitLine, withPodLock } from '../src/state/project-locks.ts';
import { readStopReason } from '../src/state/stop-reason.ts';
import { gatesCacheVolume } from './pod-layout.ts';
import { podman, PodmanMissing, projectContainers } from './podman.ts';
import { describePublish, type PublishResult } from './publish-branch.ts';
import { PeersError } from '../src/cli/errors.ts';
import { updateRegistry } from './registry.ts';
import { changedParts, FINGERPRINT_PARTS, fingerprintRepo, loadFingerprint, type RepoFingerprint } from './repo-fingerprint.ts';
import { git } from '../src/git/git.ts';
import { fingerprintPath } from './prepare-run.ts';
import { resolveProjectDir } from './up-options.ts';
import { publishIfRun } from './publish-if-run.ts';
import { loopLifeline, loopLifelineOnceStarted, stopLoop, teardown } from './pod-teardown.ts';

/** How long down waits for a starting loop to listen on its lifeline before stopping its container anyway. */
const LOOP_START_WAIT_MS = 15_000;

export type RepoCheck = { checked: boolean; unchanged: boolean; changed: string[]; line: string };
/** `leftovers`: a stopped run's pod or containers were still there, and down removed them. `podmanMissing`: the podman down looked for (not there). */
export type DownResult = {
  path: string; project: string; wasRunning: boolean; leftovers: boolean; podmanMissing?: string; stopReason: string | null; results: PublishResult | null; repoCheck: RepoCheck; seconds: number;
  /** What became of a turn the stop cut short (interruptedTurnLine); absent when none was. */
  interruptedTurn?: string;
};

/**
 * down's first line. A run that stopped by itself (max_ticks, complete, …) leaves its pod until
 * down: that is not "nothing left behind", and the reason it stopped is worth repeating.
 */
export function downSummary(r: Pick<DownResult, 'path' | 'wasRunning' | 'leftovers' | 'stopReason' | 'seconds' | 'podmanMissing'>): string {
  const reason = `stop reason: ${r.stopReason ?? 'none recorded'}`;
  if (r.wasRunning) return `stopped ${r.path} in ${r.seconds.toFixed(1)} s (${reason})`;
  if (r.leftovers) return `${r.path} had already stopped (${reason}); removed its pod`;
  if (r.podmanMissing) return `${r.path} was not running (podman not found: ${r.podmanMissing}, so no pod of it can be); nothing left behind`;
  return `${r.path} was not running; nothing left behind`;
}

/**
 * What down says of a turn the stop cut short, or null when the loop was between turns. The loop
 * closes such a turn before it exits (src/loop/shell/peer-turn.ts, closeTurn): its commits are then
 * on the results branch and what it left uncommitted is in its leftover patch. A loop killed before
 * it could (past the grace) leaves `turn.json`: the turn's work stays in the run clone, where the
 * next `peers up` closes it the same way. Read from the state directory only: down runs no git in
 * the run clone, which the peers wrote.
 */
export function interruptedTurnLine(o: {
  /** `turn.json` as the stopped loop left it (a turn it never closed). */
  unclosed: Pick<LiveTurn, 'tick' | 'peer'> | null;
  /** The run's last tick line. */
  lastTick: { tick: number; peer: string; interrupted?: unknown; head_after?: unknown; head_before?: unknown; dirty_paths?: unknown } | undefined;
  clone: string;
  /** The leftover patch of a tick's peer, when it was saved. */
  patchOf: (tick: number, peer: string) => string | null;
  upCommand?: string;
}): string | null {
  const up = o.upCommand ?? 'peers up';
  if (o.unclosed) {
    const { tick, peer } = o.unclosed;
    return `interrupted turn: the loop was stopped during ${peer}'s turn (tick ${tick}) before it could close it. What that turn committed is not on the results branch yet, and what it left uncommitted is not saved yet: both are still in the run clone (${o.clone}). \`${up}\` closes the turn first, as ${peer}'s: its commits credited to ${peer}, its uncommitted changes saved as leftovers/tick-${String(tick).padStart(5, '0')}-${peer}.patch`;
  }
  const t = o.lastTick;
  if (!t || t.interrupted !== true) return null;
  const committed = typeof t.head_after === 'string' && t.head_after !== t.head_before;
  const dirty = Array.isArray(t.dirty_paths) && t.dirty_paths.length > 0;
  const patch = dirty ? o.patchOf(t.tick, t.peer) : null;
  const parts = [
    committed ? `its commits are on the results branch, credited to ${t.peer}` : 'it had made no commit',
    ...(dirty ? [patch ? `what it left uncommitted is saved as ${patch} (no peer reviewed it, and it may change what your git or tools run, such as hooks or build files: read it before \`git apply --index\` takes it back)` : 'what it left uncommitted could not be saved (see `peers logs`)'] : []),
  ];
  return `interrupted turn: the loop was stopped during ${t.peer}'s turn (tick ${t.tick}) and closed it: ${parts.join('; ')}`;
}

/**
 * The one change a run's own instructions lead to: the user took the results (`git merge
 * peers/<project>`), so HEAD moved to a commit that has the run's head and the index followed.
 * Anything else changed with it, or HEAD elsewhere, keeps the warning.
 */
function tookResults(repo: string, changed: (keyof RepoFingerprint)[], after: RepoFingerprint, results: Pick<PublishResult, 'branch' | 'sha'> | null | undefined): string | undefined {
  if (!results?.sha || !changed.includes('head') || changed.some((k) => k !== 'head' && k !== 'index')) return undefined;
  const [ref, sha] = after.head.split(' ');
  if (!sha || !/^[0-9a-f]{40,64}$/.test(sha) || git(repo, ['merge-base', '--is-ancestor', results.sha, sha]).code !== 0) return undefined;
  const kept = (Object.keys(FINGERPRINT_PARTS) as (keyof RepoFingerprint)[]).filter((k) => k !== 'head' && k !== 'index').map((k) => FINGERPRINT_PARTS[k]);
  const where = ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : 'HEAD';
  return `your repository: you took the run's commits (${where} moved to ${sha.slice(0, 10)}, which has ${results.branch}); nothing else changed since \`peers up\` (${kept.join(', ')})`;
}

/** The user's repository against the fingerprint `up` took (and the results branch down just published). */
export function checkUserRepo(repo: string, fpPath: string, results?: Pick<PublishResult, 'branch' | 'sha'> | null): RepoCheck {
  const before = loadFingerprint(fpPath);
  if (!before) return { checked: false, unchanged: false, changed: [], line: 'your repository: no fingerprint from `peers up` to compare with' };
  let after;
  try {
    after = fingerprintRepo(repo);
  } catch (error) {
    return { checked: false, unchanged: false, changed: [], line: `your repository: cannot be read (${(error as Error).message})` };
  }
  const parts = changedParts(before, after);
  const changed = parts.map((k) => FINGERPRINT_PARTS[k]);
  const merged = tookResults(repo, parts, after, results);
  if (merged) return { checked: true, unchanged: false, changed, line: merged };
  if (!changed.length) return { checked: true, unchanged: true, changed, line: `your repository: unchanged since \`peers up\` (${Object.values(FINGERPRINT_PARTS).join(', ')})` };
  return {
    checked: true,
    unchanged: false,
    changed,
    line: `your repository: changed since \`peers up\`: ${changed.join(', ')}. No container can write it (the peers work on their own clone), so this was done on the host; if not by you, look into it.`,
  };
}

export async function down(o: { target: string; graceS: number; progress: (l: string) => void; env?: NodeJS.ProcessEnv; purge?: boolean }): Promise<DownResult> {
  const env = o.env ?? process.env;
  const t0 = Date.now();
  const repo = resolveProjectDir(o.target, env);
  const key = projectKey(repo);
  // Not while an `up` of this project is creating its pod (project-locks.ts).
  return withPodLock(key, env, (pid) => o.progress(podLockWaitLine(pid)), () => downLocked(repo, key, o, env, t0));
}

async function downLocked(repo: string, key: string, o: { graceS: number; progress: (l: string) => void; purge?: boolean }, env: NodeJS.ProcessEnv, t0: number): Promise<DownResult> {
  const stateDir = stateDirFor(repo, env);
  // A loop listening on its lifeline runs in its container, in its pod: it is stopped at once,
  // with no need to ask podman what there is. Otherwise podman says.
  let line = await loopLifeline(key, env);
  // No podman here: none of its containers can run, and the run's commits and the repository
  // check need no podman, so down still does those (a loop running elsewhere answers its lifeline).
  let podmanMissing: string | undefined;
  const containers = line
    ? null
    : await projectContainers(key, env).catch((e: unknown) => {
        if (e instanceof PodmanMissing) {
          podmanMissing = e.bin;
          return [];
        }
        if (!(e instanceof PeersError)) throw e;
        // A podman that does not answer (a stale user namespace after a reboot, …): the pod cannot
        // be looked for, but the run's commits come home from the mirror all the same.
        const results = publishIfRun(repo, stateDir);
        throw new PeersError(`podman does not answer, so down could not look for this project's pod: ${e.message}`, {
          hint: `${results ? `the run's commits are home anyway (${describePublish(results)}); ` : ''}\`peers doctor\` says what is wrong with podman; then \`peers down\` again`,
        });
      });
  const loopContainerRuns = Boolean(containers?.find((c) => c.role === 'loop')?.running);
  const wasRunning = line !== null || loopContainerRuns;
  // A loop container running with no loop on its lifeline: the loop is still starting (pod-teardown.ts).
  if (!line && loopContainerRuns) line = await loopLifelineOnceStarted(key, env, LOOP_START_WAIT_MS);
  const anything = line !== null || Boolean(containers?.length);
  if (wasRunning) {
    o.progress(`stopping the loop (SIGTERM, up to ${o.graceS}s to save its state)`);
    // Fail closed: never tear the pod down under a loop we could not stop (stopLoop throws then).
    await stopLoop(key, o.graceS, env, line);
  }
  if (anything) o.progress('removing the pod and the loop, setup, gates and egress containers');
  // The loop is stopped (or was not running): it leaves with the pod. Its mirror has no writer left,
  // so the branch is published and the user's repository checked while podman removes the pod.
  const removed = anything ? teardown(key, env, { loopStopped: true }) : Promise.resolve();
  removed.catch(() => undefined);
  let results: PublishResult | null;
  let repoCheck: RepoCheck;
  try {
    results = publishIfRun(repo, stateDir) ?? null;
    repoCheck = checkUserRepo(repo, fingerprintPath(statePaths(stateDir)), results);
  } finally {
    await removed;
  }
  if (o.purge) {
    // The gate dependency cache survives a plain down on purpose (the next `up` reuses it).
    await podman(['volume', 'rm', '-f', gatesCacheVolume(key)], { env });
  }
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (p) p.last_down_at = new Date().toISOString();
  }, env);
  const interruptedTurn = wasRunning ? interruptedTurnOf(statePaths(stateDir)) : null;
  return {
    path: repo, project: key, wasRunning, leftovers: anything && !wasRunning, ...(podmanMissing ? { podmanMissing } : {}), stopReason: readStopReason(statePaths(stateDir).stopReason)?.reason ?? null, results, repoCheck,
    seconds: (Date.now() - t0) / 1000, ...(interruptedTurn ? { interruptedTurn } : {}),
  };
}

/** interruptedTurnLine from the state directory the stopped loop left; null when it cannot be read. */
export function interruptedTurnOf(paths: StatePaths): string | null {
  try {
    return interruptedTurnLine({
      unclosed: readLiveTurn(paths.dir),
      lastTick: tickLines(readRunLog(paths.runs)).at(-1),
      clone: paths.clone,
      patchOf: (tick, peer) => (existsSync(leftoverPatchFile(paths, tick, peer)) ? leftoverPatchFile(paths, tick, peer) : null),
    });
  } catch {
    return null;
  }
}
