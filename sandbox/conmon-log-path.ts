/**
 * The loop's console goes to a k8s-file log in the state dir (pod-spec.ts: it outlives the
 * container, `peers logs` reads it after `down`), a path podman hands conmon as an option,
 * `--log-path k8s-file:PATH`. Two things about that option:
 *  - conmon cuts PATH at its first ':' (the console of ~/my:state went to ~/my): refused;
 *  - conmon reads its options with glib, which converts each from the locale's charset, and podman
 *    gives conmon only the LC_* variables of its own environment, never LANG. In the C locale a path
 *    with a non-ASCII character (a HOME like /home/josé) failed every container start ("conmon:
 *    option parsing failed: Invalid byte sequence in conversion input"; podman said only "exit
 *    status 1"). So podman runs with a UTF-8 LC_ALL (podman.ts, podmanEnv), and where a path is
 *    not ASCII, `peers up` and `peers doctor` first ask conmon itself whether it takes the option
 *    as podman will give it (`conmon --version` parses every option before it answers): a libc
 *    without that locale is said before anything is made, with where to put the state instead.
 */
import { InputError } from '../src/cli/errors.ts';
import { podmanEnv } from './podman.ts';

/** Where podman looks for conmon when its configuration names none (containers.conf's conmon_path). */
export const CONMON_PLACES = ['/usr/libexec/podman/conmon', '/usr/local/libexec/podman/conmon', '/usr/local/lib/podman/conmon', '/usr/bin/conmon', '/usr/sbin/conmon', '/usr/local/bin/conmon', '/usr/local/sbin/conmon'];

/** True when conmon reads the path through the locale's charset, i.e. it has a non-ASCII character. */
export function pathNeedsLocale(path: string): boolean {
  return /[^\x00-\x7f]/.test(path);
}

/**
 * `conmon --version` given the log option the loop's container gets, in the environment podman
 * gives conmon (its LC_* variables, podmanEnv's): exit 0 when conmon takes the path.
 */
export function conmonProbeArgv(conmon: string, logPath: string, env: NodeJS.ProcessEnv): string[] {
  const locale = Object.entries(podmanEnv(env)).filter(([k, v]) => k.startsWith('LC_') && v !== undefined).map(([k, v]) => `${k}=${v}`);
  return ['env', '-i', ...locale, conmon, '--version', '--log-path', `k8s-file:${logPath}`];
}

/** What conmon said of a run: it writes its complaints about options to stdout. */
export type ConmonAnswer = { code: number | null; stdout: string; stderr: string };

/** conmon's own complaint when it refused the option (undefined when it took it, or failed otherwise). */
export function conmonRefusal(r: ConmonAnswer): string | undefined {
  if (r.code === 0) return undefined;
  return `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => /option parsing failed/.test(l));
}

export type LogPathProblem = { message: string; hint: string };

/**
 * Why podman cannot write the loop's console to `logPath` in state dir `stateDir`, or undefined.
 * `probe` runs an argv (conmonProbeArgv's) and is asked only for a path that is not ASCII; it
 * answers undefined when conmon could not be run (then nothing is known, nothing is refused).
 */
export function logPathProblem(stateDir: string, logPath: string, probe: () => ConmonAnswer | undefined): LogPathProblem | undefined {
  if (stateDir.includes(':')) {
    return {
      message: `the state directory ${stateDir} has a ':' in its path, which podman's log driver cannot take (it would write the loop's console to ${stateDir.slice(0, stateDir.indexOf(':'))})`,
      hint: 'point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory whose path has no ":"',
    };
  }
  if (!pathNeedsLocale(logPath)) return undefined;
  const result = probe();
  const refused = result && conmonRefusal(result);
  if (!refused) return undefined;
  return {
    message: `the state directory ${stateDir} has a character outside ASCII in its path, and podman's conmon cannot take it as the loop's log path even in the C.UTF-8 locale (${refused})`,
    hint: 'point XDG_STATE_HOME (or PEERS_STATE_DIR) at a directory of yours whose path is plain ASCII (XDG_STATE_HOME=/some/ascii/path peers up), or make the C.UTF-8 locale available (`locale -a` lists it)',
  };
}

/** logPathProblem as the InputError `peers up` refuses with (exit 2). */
export function refuseLogPath(stateDir: string, logPath: string, probe: () => ConmonAnswer | undefined): void {
  const problem = logPathProblem(stateDir, logPath, probe);
  if (problem) throw new InputError(problem.message, { hint: problem.hint });
}
