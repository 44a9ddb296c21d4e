/**
 * `peers down` signals a running loop without a podman process (one `podman kill` was 0.1–0.15 s of
 * down's 1.3–1.6 s: BENCHMARKS.md, Pod up and down). podman writes the host PID of the loop
 * container's init (catatonit, `--init`, which passes SIGTERM on to the loop) to a pidfile at each
 * start (`--pidfile`, podman-render.ts), in the pod's runtime dir on the host: no container mounts
 * that dir itself (only subdirectories of it), so nothing in the pod can write the file.
 *
 * A PID is only taken while the process it names is still that init running this project's
 * `peers loop`: its command line and environment are read from /proc and checked. Anything else (no file, a stale PID now naming
 * another process of the user, a signal refused) answers false, and the caller asks podman.
 */
import { readFileSync } from 'node:fs';
import { PEERS_BIN_IN_CONTAINER } from './pod-layout.ts';

/** The name of the loop's pidfile in the pod's runtime dir (pod-plan.ts loopPidFilePath). */
export const LOOP_PID_FILE = 'loop.pid';

/**
 * The PID a pidfile names, if that process (its /proc/PID/cmdline and environ, NUL-separated) is
 * podman's init running this project's loop: `<init> -- /usr/local/bin/peers loop …` with
 * `PEERS_PROJECT=<project>` (pod-env.ts sets it in every container). Pure.
 */
export function loopInitPid(pidText: string, proc: { cmdline: string; environ: string }, project: string): number | null {
  if (pidInFile(pidText) === null) return null;
  const args = proc.cmdline.split('\0');
  const sep = args.indexOf('--');
  if (sep < 1 || !/(^|\/)(podman-init|catatonit)$/.test(args[0]!)) return null;
  if (args[sep + 1] !== PEERS_BIN_IN_CONTAINER || args[sep + 2] !== 'loop') return null;
  if (!proc.environ.split('\0').includes(`PEERS_PROJECT=${project}`)) return null;
  return pidInFile(pidText);
}

/** The PID a pidfile's text names (decimal, 1 to 10 digits, surrounding blanks allowed), or null. Pure. */
function pidInFile(pidText: string): number | null {
  return /^\s*[1-9][0-9]{0,9}\s*$/.test(pidText) ? Number(pidText.trim()) : null;
}

/** The PID of the project's loop init while the pidfile names it and it runs (see above), else null. */
export function loopInitFromPidFile(pidFile: string, project: string): number | null {
  try {
    const pidText = readFileSync(pidFile, 'utf8').slice(0, 32);
    const named = pidInFile(pidText);
    if (named === null) return null;
    const at = `/proc/${named}`;
    return loopInitPid(pidText, { cmdline: readFileSync(`${at}/cmdline`, 'utf8'), environ: readFileSync(`${at}/environ`, 'utf8') }, project);
  } catch {
    return null;
  }
}

/** Sends `signal` to the project's loop through its init if the pidfile names it (see above); false when it could not. */
export function signalLoopByPidFile(pidFile: string, project: string, signal: NodeJS.Signals): boolean {
  const pid = loopInitFromPidFile(pidFile, project);
  if (pid === null) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
