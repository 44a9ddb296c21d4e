/**
 * The end of a pod on podman: its containers, the pod and the socket dirs they shared. `up` calls it
 * for a failed start or a stale pod, `down` after the loop has saved, `reset` before archiving.
 */
import { join } from 'node:path';
import { PeersError } from '../src/cli/errors.ts';
import { removeTree } from '../src/fs/remove-tree.ts';
import { LIFELINE_DIR_NAME, LIFELINE_SOCKET_NAME, loopExitWatch } from './lifeline.ts';
import { containerName, podName, type Role } from './pod-layout.ts';
import { loopPidFilePath, runnerDirsRoot, sharedRoot } from './pod-plan.ts';
import { loopInitFromPidFile, signalLoopByPidFile } from './loop-pid.ts';
import { podman } from './podman.ts';

type LoopLine = NonNullable<Awaited<ReturnType<typeof loopExitWatch>>>;

/** A line to the project's loop (lifeline.ts), or null when no loop listens on it (none runs, or it is still starting). */
export function loopLifeline(project: string, env: NodeJS.ProcessEnv): Promise<LoopLine | null> {
  return loopExitWatch(join(sharedRoot(project, env), LIFELINE_DIR_NAME, LIFELINE_SOCKET_NAME));
}

/**
 * The line to a loop whose container runs but that does not listen on its lifeline yet: it is
 * still starting. Signalled now, its process could end before it holds stop signals (main.ts),
 * with no stop recorded, so `peers down` waits for the line while the loop's init runs (its
 * pidfile, loop-pid.ts), up to `timeoutMs`; null when the init is gone, cannot be told, or the
 * time is up (down then stops the container through podman, as before).
 */
export async function loopLifelineOnceStarted(project: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<LoopLine | null> {
  const until = Date.now() + timeoutMs;
  const pidFile = loopPidFilePath(project, env);
  for (;;) {
    const line = await loopLifeline(project, env);
    if (line || Date.now() >= until || loopInitFromPidFile(pidFile, project) === null) return line;
    await Bun.sleep(LINE_POLL_MS);
  }
}

/** How often a starting loop's lifeline is tried: its listening is not announced any other way. */
const LINE_POLL_MS = 50;

/**
 * Stops a running loop the way `podman stop -t GRACE` does (SIGTERM, SIGKILL after the grace
 * period), but learns its exit from its lifeline (lifeline.ts): the kernel closes the line the
 * moment the loop process is gone, after everything it saved, where `podman stop` polls for the
 * exit and cleans the container up before it returns (0.2–0.4 s more). The pod is then removed
 * with the loop in it (teardown). When the line cannot tell (no loop listening on it, the line
 * refused, SIGTERM not delivered, the grace period over), `podman stop` does it as before; it
 * failing is an error: never tear the pod down under a loop we could not stop.
 */
export async function stopLoop(project: string, graceS: number, env: NodeJS.ProcessEnv, line: LoopLine | null): Promise<void> {
  const loop = containerName(project, 'loop');
  let grace = graceS;
  if (line) {
    const started = Date.now();
    // Straight to the loop's init when its pidfile names it (loop-pid.ts), else through podman.
    const signalled = signalLoopByPidFile(loopPidFilePath(project, env), project, 'SIGTERM') || (await podman(['kill', '--signal', 'TERM', loop], { env })).code === 0;
    const how = signalled ? await line.exited(graceS * 1000) : 'not signalled';
    line.close();
    if (how === 'exited') return;
    // The grace already spent waiting counts: past it, the loop is killed.
    grace = Math.max(0, graceS - Math.floor((Date.now() - started) / 1000));
  }
  const r = await podman(['stop', '-t', String(grace), loop], { env, timeoutMs: (grace + 30) * 1000 });
  if (r.code !== 0) throw new PeersError(`could not stop the loop container: ${r.stderr.trim().slice(0, 400)}`, { hint: `podman logs ${loop}` });
}

/** The containers beside the pod on podman (podman-render.ts): the loop (no loopback), setup, gates, egress. */
const BESIDE_POD: readonly Role[] = ['loop', 'setup', 'gates', 'egress'];

/** Removes the pod and the containers beside it (loop, setup, gates, egress), in any state; the shared
 *  socket dirs go with them. The loop goes first so it never outlives its runners by long; a loop
 *  already stopped (`peers down`) goes with the others. The pod and the containers beside it are
 *  removed by two podman calls at once: nothing orders them. */
export async function teardown(project: string, env: NodeJS.ProcessEnv, o: { loopStopped?: boolean } = {}): Promise<void> {
  // --ignore: podman 4.3's `rm -f A B` silently removes NOTHING (exit 0) when one of the names is
  // missing, e.g. after an `up` that failed before creating the gates container.
  if (!o.loopStopped) await podman(['rm', '-f', '--ignore', '-t', '2', containerName(project, 'loop')], { env });
  await Promise.all([
    podman(['pod', 'rm', '-f', '--ignore', '-t', '2', podName(project)], { env }),
    podman(['rm', '-f', '--ignore', '-t', '2', ...BESIDE_POD.map((r) => containerName(project, r))], { env }),
  ]);
  // The runners' dirs were the peers' to write (their socket dirs): removeTree takes whatever modes they left.
  removeTree(sharedRoot(project, env));
  removeTree(runnerDirsRoot(project, env));
}
