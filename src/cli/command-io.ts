/**
 * What a command reads and writes of its process, handed to it rather than reached for (as gh's
 * Factory hands IOStreams to its commands): the output streams, standard input, the environment,
 * the working directory and the stop signals. `peers` runs every command with `processIO()`; tests
 * run a command in process with buffers, a scratch environment and an emitter they signal
 * themselves, so a command's output and exit code are checked without spawning the binary.
 */
import type { Readable } from 'node:stream';
import { stdoutFd, type OutputStream } from './fd-output.ts';
import { terminalOutput } from './terminal-text.ts';

/** Where a command writes: a terminal or a pipe in use, a buffer in tests. Bytes for binary output (a tar stream). */
export type { OutputStream };

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

/** The real process: what every command gets when `peers` runs it (`stdout`: src/cli/fd-output.ts, whose failures are the command's). */
export function processIO(stdout: OutputStream = stdoutFd()): CommandIO {
  // stderr and stdin on first use: making a stream costs every command, and most never use these.
  let stderr: OutputStream | undefined;
  return {
    stdout: terminalSafe(stdout),
    get stderr() {
      return (stderr ??= terminalSafe(process.stderr));
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    signals: process,
  };
}

/**
 * Every command writes through these streams, and peers' words are in much of what they write:
 * commit subjects, self-reviews, bug titles, a failure's cause, a gate's output, a prompt, the
 * loop's and the peers' logs. So the streams themselves show every control character as `?`
 * (terminal-text.ts, terminalOutput: line breaks, tabs and peers' own colours stay), whether or not
 * they are a terminal: `peers logs | tail` ends on one too, and the logs themselves stay as written
 * in the state dir. A command gets this without asking; `--json` stays exact because its document
 * escapes those characters first (jsonForTerminal). Bytes are read as UTF-8 across writes, so a C1
 * control split between two chunks is still caught. SECURITY.md, "A peer's words reach the
 * operator's terminal as text".
 */
const RAW = Symbol('raw output');
type SafeOutput = OutputStream & { readonly [RAW]: OutputStream };

export function terminalSafe(stream: OutputStream): OutputStream {
  if (RAW in stream) return stream;
  let decoder: TextDecoder | undefined;
  const write = (chunk: string | Uint8Array): unknown => {
    if (typeof chunk !== 'string') return stream.write(terminalOutput((decoder ??= new TextDecoder('utf-8')).decode(chunk, { stream: true })));
    // Text after bytes: what is left of an unfinished character is shown (as U+FFFD) first.
    const rest = decoder?.decode() ?? '';
    decoder = undefined;
    return stream.write(terminalOutput(rest + chunk));
  };
  // Everything else (isTTY, columns, rows, resize and drain events) is the stream's own.
  return new Proxy(stream, {
    get(target, key) {
      if (key === RAW) return target;
      if (key === 'write') return write;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (target, key) => key === RAW || Reflect.has(target, key),
  }) as SafeOutput;
}

/**
 * The stream under terminalSafe, for output that is not text for people or that draws the screen
 * itself from text already made safe: a tar archive, `status --watch`'s frames. Named at each use.
 */
export function rawOutput(stream: OutputStream): OutputStream {
  return RAW in stream ? (stream as SafeOutput)[RAW] : stream;
}

/** `io` with both output streams made safe (each once): what a command runs with, in tests too. Streams are still made on first use. */
export function terminalSafeIO(io: CommandIO): CommandIO {
  let stdout: OutputStream | undefined;
  let stderr: OutputStream | undefined;
  return {
    get stdout() {
      return (stdout ??= terminalSafe(io.stdout));
    },
    get stderr() {
      return (stderr ??= terminalSafe(io.stderr));
    },
    get stdin() {
      return io.stdin;
    },
    env: io.env,
    cwd: io.cwd,
    signals: io.signals,
  };
}
