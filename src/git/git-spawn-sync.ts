/**
 * One synchronous git process, run to its end (src/git/git.ts builds what to run: its flags,
 * environment and working directory). Its own module so git.ts keeps to the argv and environment
 * rules and this keeps to how a process is run and reported.
 */

/** What git.ts decided to run: git's argv after `git`, and where and how. */
export type GitSpawnPlan = { argv: string[]; options: { cwd: string; env: Record<string, string | undefined>; input?: string | Uint8Array; timeout?: number } };

/** A finished git call, shaped as node:child_process `spawnSync` reports one (`error.code` ENOBUFS, ETIMEDOUT, ENOENT). */
export type GitRun = { status: number | null; stdout: Buffer; stderr: Buffer; error?: NodeJS.ErrnoException };

function runError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * Runs git to its end with `Bun.spawnSync`: about half the CPU of node:child_process `spawnSync`
 * per call in this process (0.4 against 0.8 ms; the loop runs about seven a tick: BENCHMARKS.md,
 * "Loop processes per tick"). Killed with SIGKILL past `timeout` or past `maxBuffer` bytes on a
 * piped stream, as before; stdout goes to `stdout` when that is a file descriptor.
 */
export function spawnGitSync(g: GitSpawnPlan, maxBuffer: number, stdout: 'pipe' | number = 'pipe'): GitRun {
  const { cwd, env, input, timeout } = g.options;
  let res;
  try {
    res = Bun.spawnSync(['git', ...g.argv], {
      cwd,
      env,
      stdin: input === undefined ? 'ignore' : typeof input === 'string' ? Buffer.from(input) : input,
      stdout,
      stderr: 'pipe',
      timeout,
      killSignal: 'SIGKILL',
      maxBuffer,
    });
  } catch (error) {
    // A missing program or working directory: posix_spawn's ENOENT, as node reports it.
    return { status: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error: error as NodeJS.ErrnoException };
  }
  const out = { status: res.exitCode, stdout: res.stdout ?? Buffer.alloc(0), stderr: res.stderr ?? Buffer.alloc(0) };
  if (res.exitedDueToMaxBuffer) return { ...out, error: runError('ENOBUFS', 'git printed more than maxBuffer') };
  if (res.exitedDueToTimeout) return { ...out, error: runError('ETIMEDOUT', 'git timed out') };
  return out;
}
