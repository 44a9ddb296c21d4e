/**
 * Every supervised child dies with the process that supervises it, however that process ends —
 * SIGKILL included, where no handler of ours runs (docs/ARCHITECTURE.md, "Processes a dead loop
 * leaves"). The child is started through a small shell that first leaves a watcher in the child's
 * process group, then `exec`s the real program (same pid, same exit status, same signals):
 *
 *   ( trap '' TERM INT HUP; (read _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & ); exec "$@" 3<&-
 *
 * fd 3 is a pipe whose only writer is the supervisor (its end is close-on-exec, so no other child
 * inherits it). The supervisor never writes: the watcher's `read` returns only at end of file, which
 * the kernel delivers when the supervisor's last descriptor closes, that is when it dies. The watcher
 * then SIGKILLs its process group: the program and everything it started that stayed in the group.
 * The double fork leaves the watcher a child of init, never of the program, and it holds none of
 * the program's output pipes. It ignores the graceful signals the supervisor sends the group, so it
 * keeps watching through a kill grace period; when the supervisor is done with the child it closes
 * its end, and the watcher's `kill` then finds nobody left but itself.
 *
 * Linux's PR_SET_PDEATHSIG would do the same for the direct child only, and Bun cannot set it.
 */
// The subshell ignores the graceful signals before it forks the watcher, which inherits that: set
// inside the watcher, a SIGTERM to the group could land before the watcher's own `trap` ran, and a
// supervisor killed right after would leave its group alive.
const WATCHER = `( trap '' TERM INT HUP; (read _ <&3; kill -KILL 0) </dev/null >/dev/null 2>&1 & )`;
export const GUARD_SCRIPT = `${WATCHER}; exec "$@" 3<&-`;

/**
 * For a program that is itself `/bin/sh -c SCRIPT` (every gate): the guard's shell runs SCRIPT
 * itself instead of exec'ing a second shell for it (one process fewer: BENCHMARKS.md, "Loop
 * processes per tick"). Same watcher, same pid and process group; fd 3 closed before SCRIPT runs;
 * `shift` inside the eval leaves SCRIPT no positional parameters, and `$0` is `/bin/sh`, as under
 * `sh -c`.
 */
export const GUARD_SHELL_SCRIPT = `${WATCHER}; exec 3<&-; eval "shift; $1"`;

/** The shell and its arguments that run `argv` under the guard (fd 3 must be a pipe from us). */
export function guardedArgv(argv: readonly string[]): { file: string; args: string[] } {
  if (argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c') return { file: '/bin/sh', args: ['-c', GUARD_SHELL_SCRIPT, '/bin/sh', argv[2]!] };
  return { file: '/bin/sh', args: ['-c', GUARD_SCRIPT, 'peers-guard', ...argv] };
}
