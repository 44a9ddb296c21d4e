/**
 * The commands without oclif write standard output straight to the descriptor (src/cli/fd-output.ts).
 * It must do what process.stdout did: every byte in order, also when the descriptor would block (the
 * rest goes through the stream), silence when the reader went away, and a real error still thrown.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fdOutput } from '../../../src/cli/fd-output.ts';

const dirs: string[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A FIFO's two ends, both non-blocking: a pipe whose writer gets EAGAIN when it is full. */
function fifo(): { reader: number; writer: number } {
  const dir = mkdtempSync(join(tmpdir(), 'peers-fd-output-'));
  dirs.push(dir);
  const path = join(dir, 'fifo');
  if (Bun.spawnSync(['mkfifo', path]).exitCode !== 0) throw new Error('mkfifo failed');
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  fds.push(writer);
  return { reader, writer };
}

/** Stands in for process.stdout: records what it was handed. */
function recordingStream() {
  const written: Buffer[] = [];
  const stream = { write: (chunk: string | Uint8Array) => written.push(Buffer.from(chunk)) > 0, isTTY: undefined, columns: undefined, rows: undefined };
  return { stream: () => stream as unknown as NodeJS.WriteStream, text: () => Buffer.concat(written).toString() };
}

function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString();
}

describe('standard output on its descriptor', () => {
  test('a full pipe: what does not fit goes through the stream, every byte in order', () => {
    const { reader, writer } = fifo();
    fds.push(reader);
    const fallback = recordingStream();
    const out = fdOutput(writer, fallback.stream);
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`);
    for (const line of lines) out.write(line);
    const direct = drain(reader);
    expect(direct.length).toBeGreaterThan(0);
    expect(fallback.text().length).toBeGreaterThan(0);
    expect(direct + fallback.text()).toBe(lines.join(''));
  });

  test('a reader that went away: the output ends silently, as with process.stdout', () => {
    const { reader, writer } = fifo();
    closeSync(reader);
    const fallback = recordingStream();
    const out = fdOutput(writer, fallback.stream);
    expect(() => out.write('status\n')).not.toThrow();
    expect(() => out.write('more\n')).not.toThrow();
    expect(fallback.text()).toBe('');
  });

  test('any other failure is not hidden', () => {
    const fd = openSync('/dev/full', 'w');
    fds.push(fd);
    // A failed command (exit 1) naming standard output, not an internal error (exit 70).
    expect(() => fdOutput(fd, recordingStream().stream).write('x\n')).toThrow(/^cannot write standard output: ENOSPC/);
    expect(() => fdOutput(fd, recordingStream().stream).write('x\n')).toThrow(expect.objectContaining({ exitCode: 1 }));
  });

  test('a pipe or a file is never a terminal, without asking the stream', () => {
    const { reader, writer } = fifo();
    fds.push(reader);
    const out = fdOutput(writer, () => {
      throw new Error('the stream was made');
    });
    expect(out.isTTY).toBe(false);
  });
});
