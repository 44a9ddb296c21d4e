/**
 * The host's notification watcher (`peers notify-watch`, started in the background by `peers up`
 * when `notify:` is configured): every few seconds one notifier pass (notify-due.ts), until the
 * run has stopped and its stop was handled, or no loop appeared for a while. One watcher per state
 * dir (a lock in notifyDir); a second one exits at once. It runs on the host because the pod has no network
 * but the egress allow-list, and the operator's command belongs on the operator's machine.
 */
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { selfCommand } from '../proc/self-exec.ts';
import { acquireRunLock, probeRunLock } from '../state/run-lock.ts';
import { notifyDir, readArmed } from './notify-store.ts';
import { notifyDue, type NotifyPass } from './notify-due.ts';

export type WatchNotifyOptions = {
  pollMs?: number;
  /** Give up when no loop has run for this long and nothing was owed (a pod that never started). */
  idleExitMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
};

export async function watchNotifications(stateDir: string, o: WatchNotifyOptions = {}): Promise<'stopped' | 'idle' | 'aborted' | 'not-armed' | 'already-watched'> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  mkdirSync(notifyDir(stateDir), { recursive: true, mode: 0o700 });
  let lock;
  try {
    lock = acquireRunLock(join(notifyDir(stateDir), 'watch.lock'));
  } catch {
    return 'already-watched';
  }
  try {
    const pollMs = o.pollMs ?? 3000;
    const idleExitMs = o.idleExitMs ?? 180_000;
    let idleSince = Date.now();
    while (!o.signal?.aborted) {
      let pass;
      try {
        pass = await notifyDue(stateDir);
      } catch (error) {
        // A torn or missing file now is a file complete later: keep watching, say why.
        log(`peers notify-watch: ${(error as Error).message}`);
        pass = null;
      }
      if (pass && !pass.armed) return 'not-armed';
      for (const s of pass?.sent ?? []) log(`peers notify-watch: ${s.event} (${s.id}) ${s.ok ? 'sent' : `failed (see ${notifyDir(stateDir)}/sent)`}`);
      if (pass?.running) idleSince = Date.now();
      if (pass && !pass.running && pass.stopSeen) return 'stopped';
      if (Date.now() - idleSince > idleExitMs) return 'idle';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        o.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    return 'aborted';
  } finally {
    lock.release();
  }
}

/** Starts `peers notify-watch` for the state dir in the background (its output in watch.log of notifyDir). */
export function startNotifyWatcher(stateDir: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  mkdirSync(notifyDir(stateDir), { recursive: true, mode: 0o700 });
  const logFd = openSync(join(notifyDir(stateDir), 'watch.log'), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    const [cmd, ...args] = selfCommand();
    const child = spawn(cmd!, [...args, 'notify-watch', '--state-dir', stateDir], { detached: true, stdio: ['ignore', logFd, logFd], env });
    child.unref();
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

/**
 * `peers status`'s catch-up: when notifications are armed but no watcher is alive (the machine
 * rebooted, the watcher was killed), one pass sends what is owed. Never throws: status must show.
 */
export async function catchUpNotifications(stateDir: string): Promise<NotifyPass | null> {
  try {
    if (!readArmed(stateDir)) return null;
    if (probeRunLock(join(notifyDir(stateDir), 'watch.lock')).held) return null;
    return await notifyDue(stateDir);
  } catch {
    return null;
  }
}
