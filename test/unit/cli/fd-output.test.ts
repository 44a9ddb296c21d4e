/**
 * The commands without oclif write standard output straight to the descriptor (src/cli/fd-output.ts).
 * It must do what process.stdout did: every byte in order, also when the descriptor would block (the
 * write waits for the reader), silence when the reader went away, and a real error still thrown.
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

/** A new FIFO's path: a pipe whose ends a test opens as it needs. */
function fifoPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-fd-output-'));
  dirs.push(dir);
  const path = join(dir, 'fifo');
  if (Bun.spawnSync(['mkfifo', path]).exitCode !== 0) throw new Error('mkfifo failed');
  return path;
}

/** A FIFO's two ends, both non-blocking: a pipe whose writer gets EAGAIN when it is full. */
function fifo(): { reader: number; writer: number } {
  const path = fifoPath();
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

/** Everything a non-blocking reader gets until its writer closes (EAGAIN: not yet, read again). */
async function readToEnd(fd: number): Promise<string> {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      await Bun.sleep(1);
      continue;
    }
    if (n === 0) return Buffer.concat(chunks).toString();
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}

describe('standard output on its descriptor', () => {
  test('a full non-blocking pipe: the writer waits for its reader, and every byte is out, in order, before the process exits', async () => {
    // The process writes through fdOutput to a FIFO it opened non-blocking (as podman exec or a
    // Node parent hands a command its stdout), then exits at once; the reader starts late. What
    // went to an asynchronous stream on EAGAIN was lost at exit: 64 KiB of a 32 MiB archive arrived.
    const path = fifoPath();
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    fds.push(reader);
    const lines = 200_000;
    const script = [
      `import { openSync, constants } from 'node:fs';`,
      `import { fdOutput } from ${JSON.stringify(join(import.meta.dir, '../../../src/cli/fd-output.ts'))};`,
      `const out = fdOutput(openSync(${JSON.stringify(path)}, constants.O_WRONLY | constants.O_NONBLOCK), () => process.stdout);`,
      `for (let i = 0; i < ${lines}; i++) out.write('line ' + i + ' ' + 'x'.repeat(40) + '\\n');`,
      'process.exit(0);',
    ].join('\n');
    const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'ignore', stderr: 'pipe' });
    await Bun.sleep(200); // the reader is late: the pipe fills and the writer gets EAGAIN
    const text = await readToEnd(reader); // to the end: the writer closes as it exits
    expect(await child.exited, await new Response(child.stderr).text()).toBe(0);
    expect(text.length).toBe(Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join('').length);
    expect(text.endsWith(`line ${lines - 1} ${'x'.repeat(40)}\n`)).toBe(true);
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
