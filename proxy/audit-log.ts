/**
 * The egress audit log: one JSON line per decision (`peers logs --egress` shows it).
 *
 * Each record is one write(2) on an O_APPEND, O_NOFOLLOW descriptor, so records never interleave
 * and a reader sees whole lines. The log is size-capped (src/fs/size-capped-log.ts): a connection
 * flood rotates it (`egress.jsonl` → `egress.jsonl.1`) instead of filling the disk, and a marker
 * line counts the records dropped. There is no fsync per line: the log must not slow every tunnel.
 */
import { DEFAULT_LOG_CAP_BYTES, SizeCappedLog } from '../src/fs/size-capped-log.ts';

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
  private readonly log: SizeCappedLog;

  constructor(readonly path: string, capBytes = DEFAULT_LOG_CAP_BYTES) {
    this.log = new SizeCappedLog(path, capBytes);
  }

  /** Records dropped by rotation since the log was created. */
  get droppedTotal(): number {
    return this.log.droppedTotal;
  }

  record(rec: EgressAuditRecord): void {
    this.log.append(JSON.stringify(rec));
  }

  close(): void {
    this.log.close();
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
