/**
 * An append-only line log that never takes more than `capBytes` on disk, whatever is thrown at it
 * (a connection flood against the egress proxy, a request flood against the auth sidecar).
 *
 * Lines go to `path` until the next one would take it past half the cap; then `path` is renamed to
 * `path.1` (replacing the previous `.1`, whose lines are dropped) and a new `path` begins. Every
 * file after a drop starts with one marker line counting all lines dropped so far, so a reader of
 * the two files knows exactly how much history is missing. The count survives a restart (it is
 * read back from the newest marker). Each line is one write(2) on an O_APPEND, O_NOFOLLOW
 * descriptor; there is no fsync per line (the log must not slow every request down).
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { assertSafeDir, assertSafeLeaf } from './atomic-write.ts';

export const ROTATED_SUFFIX = '.1';
/** 64 MiB: a few hundred thousand egress records, far more than a night's run makes. */
export const DEFAULT_LOG_CAP_BYTES = 64 * 1024 * 1024;
/** The smallest cap that leaves room for a marker and a few lines in each file. */
export const MIN_CAP_BYTES = 16 * 1024;
const MAX_LINE_BYTES = 16 * 1024;

export type DropMarker = { ts: string; event: 'log-rotated'; dropped_total: number; cap_bytes: number; note: string };

export function dropMarkerLine(droppedTotal: number, capBytes: number, now: Date): string {
  const marker: DropMarker = {
    ts: now.toISOString(),
    event: 'log-rotated',
    dropped_total: droppedTotal,
    cap_bytes: capBytes,
    note: `${droppedTotal} older log entries dropped so far to keep this log under ${capBytes} bytes`,
  };
  return JSON.stringify(marker);
}

/** The marker a line holds, or null for an ordinary log line. */
export function parseDropMarker(line: string): DropMarker | null {
  if (!line.startsWith('{"ts":') || !line.includes('"event":"log-rotated"')) return null;
  try {
    const v = JSON.parse(line) as Partial<DropMarker>;
    return v.event === 'log-rotated' && Number.isSafeInteger(v.dropped_total) ? (v as DropMarker) : null;
  } catch {
    return null;
  }
}

/** Entries (lines that are not the marker) and the marker's count, read in bounded chunks. */
function scan(path: string): { entries: number; dropped: number } {
  let fd: number;
  try {
    assertSafeLeaf(path);
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: 0, dropped: 0 };
    throw e;
  }
  try {
    // The marker, when there is one, is the first line.
    const head = Buffer.alloc(MAX_LINE_BYTES);
    const got = readSync(fd, head, 0, head.length, 0);
    const firstEnd = head.subarray(0, got).indexOf(10);
    const marker = firstEnd >= 0 ? parseDropMarker(head.subarray(0, firstEnd).toString('utf8')) : null;
    const buf = Buffer.alloc(64 * 1024);
    let lines = 0;
    for (let pos = 0, n = 0; (n = readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
    }
    return { entries: lines - (marker ? 1 : 0), dropped: marker?.dropped_total ?? 0 };
  } finally {
    closeSync(fd);
  }
}

export class SizeCappedLog {
  private fd: number | null = null;
  private size = 0;
  private entriesHere = 0;
  private entriesRotated = 0;
  private dropped = 0;
  private readonly fileCap: number;

  constructor(
    readonly path: string,
    readonly capBytes: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!Number.isSafeInteger(capBytes) || capBytes < MIN_CAP_BYTES) throw new RangeError(`log size cap must be at least ${MIN_CAP_BYTES} bytes, got ${capBytes}`);
    this.fileCap = Math.floor(capBytes / 2);
    assertSafeDir(dirname(path));
    const here = scan(path);
    const rotated = scan(path + ROTATED_SUFFIX);
    this.entriesHere = here.entries;
    this.entriesRotated = rotated.entries;
    this.dropped = Math.max(here.dropped, rotated.dropped);
    this.open(false);
    // A file left over-size (an older peers, a smaller cap now) is rotated before the first line.
    if (this.size > this.fileCap) this.rotate();
  }

  /** Every entry dropped by rotation since the log was first created. */
  get droppedTotal(): number {
    return this.dropped;
  }

  append(text: string): void {
    if (this.fd === null) return;
    let bytes = Buffer.from(`${text.replace(/\n/g, ' ')}\n`, 'utf8');
    const maxLine = Math.min(MAX_LINE_BYTES, Math.floor(this.fileCap / 4));
    if (bytes.length > maxLine) bytes = Buffer.concat([bytes.subarray(0, maxLine - 4), Buffer.from('…\n')]);
    if (this.size + bytes.length > this.fileCap) this.rotate();
    writeSync(this.fd!, bytes);
    this.size += bytes.length;
    this.entriesHere++;
  }

  /** Synced on close (never per line). */
  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }

  private open(fresh: boolean): void {
    assertSafeLeaf(this.path);
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | (fresh ? constants.O_EXCL : 0);
    this.fd = openSync(this.path, flags, 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    closeSync(this.fd!);
    this.fd = null;
    this.dropped += this.entriesRotated;
    renameSync(this.path, this.path + ROTATED_SUFFIX);
    this.entriesRotated = this.entriesHere;
    this.entriesHere = 0;
    this.open(true);
    if (this.dropped > 0) {
      const marker = Buffer.from(`${dropMarkerLine(this.dropped, this.capBytes, this.now())}\n`, 'utf8');
      writeSync(this.fd!, marker);
      this.size += marker.length;
    }
  }
}
