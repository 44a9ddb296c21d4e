/**
 * The egress audit log: one JSON line per decision (`peers logs --egress` shows it).
 *
 * Each record is written with a single write(2) on an O_APPEND descriptor, so concurrent records
 * never interleave and a reader sees whole lines. The file is opened without following symlinks.
 * There is no fsync per line: the log must not slow every tunnel down, and it is synced on close.
 */
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { assertSafeDir, assertSafeLeaf } from '../src/fs/atomic-write.ts';

export type EgressDecision = 'allow' | 'deny' | 'error';

export type EgressAuditRecord = {
  ts: string;
  /** Which listener took the connection ("workspace", "sidecar", or "egress" when there is one). */
  listener: string;
  client: string;
  method: string;
  host: string;
  port: number;
  address: string | null;
  decision: EgressDecision;
  reason: string;
  status: number;
  bytes_up: number;
  bytes_down: number;
  duration_ms: number;
};

export interface AuditSink {
  record(rec: EgressAuditRecord): void;
  close(): void;
}

export class JsonlAuditLog implements AuditSink {
  private fd: number | null;

  constructor(readonly path: string) {
    assertSafeDir(dirname(path));
    assertSafeLeaf(path);
    this.fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  }

  record(rec: EgressAuditRecord): void {
    if (this.fd === null) return;
    writeSync(this.fd, Buffer.from(`${JSON.stringify(rec)}\n`, 'utf8'));
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Keeps records in memory (tests) or drops them (benchmarks comparing raw forwarding cost). */
export class MemoryAuditLog implements AuditSink {
  readonly records: EgressAuditRecord[] = [];
  record(rec: EgressAuditRecord): void {
    this.records.push(rec);
  }
  close(): void {}
}
