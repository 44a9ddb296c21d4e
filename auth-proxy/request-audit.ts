/**
 * The sidecar's audit log of requests it refused to forward for what they asked for (a path no
 * peer CLI needs), as JSONL beside the usage ledger: one line per refusal with the time, upstream,
 * method, path (never the query string or the body) and reason. Size-capped: a peer hammering
 * forbidden paths cannot fill the disk; once the cap is reached the sidecar says so once in its log.
 */
import { lstatSync } from 'node:fs';
import { appendLineSafe } from '../src/fs/atomic-write.ts';

export type AuditRecord = { ts: string; upstream: string; method: string; path: string; decision: 'denied'; status: number; reason: string };

export const AUDIT_MAX_BYTES = 16 * 1024 * 1024;

const printable = (s: string, max: number) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

export class RequestAudit {
  private full = false;

  constructor(readonly path: string | null, private readonly log: (line: string) => void, private readonly maxBytes = AUDIT_MAX_BYTES) {}

  record(r: Omit<AuditRecord, 'ts' | 'path'> & { path: string }): void {
    const rec: AuditRecord = { ts: new Date().toISOString(), ...r, method: printable(r.method, 16), path: printable(r.path.split('?')[0]!, 512) };
    if (!this.path || this.full) return;
    try {
      if ((lstatSync(this.path, { throwIfNoEntry: false })?.size ?? 0) >= this.maxBytes) {
        this.full = true;
        this.log(`audit log ${this.path} reached ${this.maxBytes} bytes; further refusals are only counted in this log`);
        return;
      }
      appendLineSafe(this.path, JSON.stringify(rec));
    } catch (e) {
      this.log(`audit log ${this.path}: ${(e as Error).message}`);
    }
  }
}
