/**
 * A turn's output on disk while it happens: `logs/tick-NNNNN-<peer>.stdout.log` and `.stderr.log`
 * grow as the runner streams output (`peers logs -f --peer` follows them), instead of appearing
 * once the turn is over. Append-only, so a follower never sees a file shrink or get replaced.
 *
 * Bounded like the capture the loop judges from (src/proc/stream-capture.ts): the first half of
 * `capBytes` per stream is written live; past that a rolling tail of the other half is kept in
 * memory and appended at the end, after a marker that counts what was left out, so a log never
 * holds more than the cap plus one marker line, however the output arrived in chunks. Output the live stream missed (after a kill the
 * supervisor stops streaming) is appended from the final result when it is a plain continuation.
 * A write error (disk full) stops the log, never the turn.
 */
import { closeSync, constants, existsSync, fsyncSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { assertSafeDir, assertSafeLeaf, writeFileAtomic } from '../../fs/atomic-write.ts';
import { MiB, readFileCapped } from '../../fs/safe-read.ts';

export type LogStream = 'stdout' | 'stderr';

export function tickLogName(tick: number, peer: string, stream: LogStream): string {
  return `tick-${String(tick).padStart(5, '0')}-${peer}.${stream}.log`;
}

class StreamLog {
  private fd: number | undefined;
  /** Bytes written live (the head): at most half the cap, so head and tail together stay within it. */
  private bytes = 0;
  private chars = 0;
  private readonly headCap: number;
  private readonly tailCap: number;
  /** Bytes past the head, and the last `tailCap` of them, written after a marker at the end. */
  private over = 0;
  private tail: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(
    private readonly path: string,
    private readonly capBytes: number,
    private readonly note: (line: string) => void,
  ) {
    this.headCap = Math.floor(Math.max(0, capBytes) / 2);
    this.tailCap = Math.max(0, capBytes) - this.headCap;
  }

  private open(): boolean {
    if (this.fd !== undefined) return true;
    if (this.failed) return false;
    try {
      assertSafeLeaf(this.path);
      const existed = existsSync(this.path);
      this.fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      // The same tick again: the loop restarted after the turn was cut off. Keep what it printed.
      if (existed) writeSync(this.fd, '\n[peers: the loop restarted; this tick runs again]\n');
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  private fail(error: unknown): void {
    this.failed = true;
    this.note(`could not write ${this.path}: ${(error as Error).message}`);
    this.close();
  }

  private put(data: string | Buffer): void {
    if (!data.length || !this.open()) return;
    try {
      writeSync(this.fd!, typeof data === 'string' ? Buffer.from(data) : data);
    } catch (error) {
      this.fail(error);
    }
  }

  /** However the output is chunked, the head is its first bytes and the tail its last ones. */
  write(text: string): void {
    const data = Buffer.from(text);
    const live = this.over === 0 ? Math.min(this.headCap - this.bytes, data.length) : 0;
    if (live === data.length) {
      this.put(data);
      this.bytes += live;
      this.chars += text.length;
      return;
    }
    if (live > 0) this.put(data.subarray(0, live));
    this.bytes += live;
    const rest = data.subarray(live);
    this.over += rest.length;
    this.tail = Buffer.concat([this.tail, rest]);
    if (this.tail.length > this.tailCap) this.tail = Buffer.from(this.tail.subarray(this.tail.length - this.tailCap));
  }

  /** `captured`: the stream as the supervisor captured it (head + tail when it was truncated). */
  finish(captured: string, capturedTruncated: boolean): void {
    if (this.over > 0) {
      const left = this.over - this.tail.length;
      // Nothing lost (the output fit the cap): the rest follows the head as it was printed.
      if (left > 0) this.put(`\n[peers: ${left} bytes of output left out here (over the ${this.capBytes}-byte log cap); the last ${this.tail.length} follow]\n`);
      this.put(left > 0 ? this.tail.subarray(leadingContinuationBytes(this.tail)) : this.tail);
    } else if (!capturedTruncated && captured.length > this.chars) {
      this.put(captured.slice(this.chars));
    }
    this.close();
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
    } catch {}
    try {
      closeSync(this.fd);
    } catch {}
    this.fd = undefined;
  }
}

export class TickLog {
  private readonly streams: Record<LogStream, StreamLog>;

  constructor(logsDir: string, tick: number, peer: string, capBytes: number, note: (line: string) => void = () => {}) {
    assertSafeDir(logsDir);
    this.streams = {
      stdout: new StreamLog(join(logsDir, tickLogName(tick, peer, 'stdout')), capBytes, note),
      stderr: new StreamLog(join(logsDir, tickLogName(tick, peer, 'stderr')), capBytes, note),
    };
  }

  write(stream: LogStream, text: string): void {
    this.streams[stream].write(text);
  }

  finish(result: { stdout: string; stderr: string; stdoutTruncated: boolean; stderrTruncated: boolean }): void {
    this.streams.stdout.finish(result.stdout, result.stdoutTruncated);
    this.streams.stderr.finish(result.stderr, result.stderrTruncated);
  }

  /** Closes without a final result (the turn was aborted). */
  close(): void {
    this.streams.stdout.close();
    this.streams.stderr.close();
  }
}

/** Plain per-tick logs kept; older ones are gzipped (each stream is capped, so this bounds disk use). */
export const PLAIN_LOGS_KEPT = 400;

/** Gzips the oldest plain `tick-*.log` files beyond `keep` (names sort by tick number). */
export function compressOldLogs(dir: string, keep: number): void {
  const plain = readdirSync(dir).filter((n) => n.startsWith('tick-') && n.endsWith('.log')).sort();
  for (const name of plain.slice(0, Math.max(0, plain.length - keep))) {
    const path = join(dir, name);
    writeFileAtomic(`${path}.gz`, Bun.gzipSync(new Uint8Array(readFileCapped(path, 64 * MiB))));
    unlinkSync(path);
  }
}

/** Bytes at the start of a tail cut inside a UTF-8 character (they would decode as garbage). */
function leadingContinuationBytes(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 3 && (buf[i]! & 0xc0) === 0x80) i++;
  return i;
}
