/**
 * What a command reads and writes of its process, handed to it rather than reached for (as gh's
 * Factory hands IOStreams to its commands): the output streams, standard input, the environment,
 * the working directory and the stop signals. `peers` runs every command with `processIO()`; tests
 * run a command in process with buffers, a scratch environment and an emitter they signal
 * themselves, so a command's output and exit code are checked without spawning the binary.
 */
import type { Readable } from 'node:stream';

/** Where a command writes: a terminal or a pipe in use, a buffer in tests. Bytes for binary output (a tar stream). */
export type OutputStream = { write(chunk: string | Uint8Array): unknown; readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number };

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** SIGHUP too ends a command that supervises children (src/proc/interrupt.ts): the terminal went away. */
export type SignalName = StopSignal | 'SIGHUP';

/** Where SIGINT, SIGTERM and SIGHUP arrive: the process, or an EventEmitter in tests. */
export type SignalSource = {
  on(event: SignalName, listener: () => void): unknown;
  off(event: SignalName, listener: () => void): unknown;
};

export type CommandIO = {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  /** The directory the command was started in: the project when none is named. */
  readonly cwd: string;
  readonly signals: SignalSource;
};

/** The real process: what every command gets when `peers` runs it (`stdout`: src/cli/fd-output.ts for the commands without oclif). */
export function processIO(stdout: OutputStream = process.stdout): CommandIO {
  // stderr and stdin on first use: making a stream costs every command, and most never use these.
  return {
    stdout,
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    signals: process,
  };
}
