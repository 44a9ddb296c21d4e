/**
 * Standard output written straight to its file descriptor, for every command (those that start
 * without oclif, `--version`, `--help`, `status`, `ls`, `info`: src/main.ts, and the rest). Making
 * `process.stdout` builds a Node stream, which cost more CPU than the whole of `peers --version`
 * otherwise (BENCHMARKS.md, Startup); a synchronous write does the same job (as node's stdout does
 * on a file or pipe on Linux).
 *
 * What the stream did stays: a reader that went away (EPIPE: `peers status | head -1`) ends the
 * output silently, and a descriptor that would block (a non-blocking pipe or terminal that is full)
 * is written again once its reader has made room, so every byte is out before the command ends
 * (a write returns when its bytes are written, as on a blocking descriptor). Any other failure to write
 * fails the command (unwritableOutput), which the stream's asynchronous 'error' event never did:
 * every command writes through here (command-io.ts, processIO). Whether it is a terminal, its
 * size and its resize events are `process.stdout`'s, asked only when the answer can be yes: a pipe or
 * a file (what a script or a benchmark has) is never a terminal, and node:tty costs as much again.
 */
import { fstatSync, writeSync } from 'node:fs';
import { PeersError } from './errors.ts';

/**
 * Output that cannot be written (a full disk: ENOSPC; EIO, EFBIG, EDQUOT) fails the command, exit 1
 * ("the operation failed", README.md, Commands): what the user asked for did not reach them, and a
 * script must not take the truncated file for the answer. Not a bug in peers (exit 70) either.
 */
function unwritableOutput(error: unknown): PeersError {
  return new PeersError(`cannot write standard output: ${(error as Error)?.message ?? String(error)} (the output is incomplete)`, { exitCode: 1 });
}

type Listener = () => void;
/** Where a command writes (a file descriptor's stream, or a test's capture): command-io.ts wraps it. */
export type OutputStream = { write(chunk: string | Uint8Array): unknown; readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number };

export type FdOutput = OutputStream & { readonly isTTY: boolean; on(event: 'resize', listener: Listener): unknown; off(event: 'resize', listener: Listener): unknown };

export function fdOutput(fd: number, stream: () => NodeJS.WriteStream): FdOutput {
  let gone = false;
  return {
    write(chunk: string | Uint8Array): boolean {
      if (gone) return true;
      let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      while (bytes.length) {
        try {
          bytes = bytes.subarray(writeSync(fd, bytes));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') {
            gone = true;
            return true;
          }
          if (code !== 'EAGAIN') throw unwritableOutput(error);
          // A non-blocking descriptor that is full (a pipe a parent made non-blocking: podman exec,
          // a Node parent): wait for the reader, as a blocking write would. Handing the rest to an
          // asynchronous stream lost it at exit: 64 KiB of a 32 MiB `k8s pack` archive arrived.
          Bun.sleepSync(1);
        }
      }
      return true;
    },
    // Only a character device can be a terminal; whether one is (or /dev/null) is the stream's to say.
    get isTTY() {
      return fstatSync(fd).isCharacterDevice() && stream().isTTY === true;
    },
    get columns() {
      return stream().columns;
    },
    get rows() {
      return stream().rows;
    },
    on: (event, listener) => stream().on(event, listener),
    off: (event, listener) => stream().off(event, listener),
  };
}

/** This process's standard output, as above. */
export const stdoutFd = (): FdOutput => fdOutput(1, () => process.stdout);
