/**
 * Why a run stopped. The loop decides with the `StopReason` union; the text form
 * (`budget:max_usd`, `stuck:tests-pass`, `peer-unavailable:alice`, …) is only what users and files
 * see: `last-stop-reason.txt` (one line, `<reason> <iso8601-utc>`, written atomically at every
 * exit), runs.jsonl exit lines and `peers status`. Code never matches the text with a regex.
 */
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/safe-read.ts';
import { accessingFile } from '../fs/file-errors.ts';

/** The caps, plus `ledger-unreadable`: the spend cannot be known, so no cap can be checked (fail closed). */
export const BUDGET_CAPS = ['max_ticks', 'max_runtime', 'max_consecutive_failures', 'max_tokens', 'max_usd', 'ledger-unreadable'] as const;
export type BudgetCap = (typeof BUDGET_CAPS)[number];

export type StopReason =
  | { kind: 'complete' }
  /** Peers agreed the task cannot be done as specified; the reason is in state.json and the report. */
  | { kind: 'blocked' }
  /** `--max-ticks` for this run reached. */
  | { kind: 'max_ticks' }
  | { kind: 'budget'; cap: BudgetCap }
  | { kind: 'stuck'; gate: string }
  | { kind: 'peer-unavailable'; peer: string }
  | { kind: 'all-peers-down' }
  /** Every peer that could work waits for its usage limit past what max_runtime_s leaves: `until` is the first reset (ISO). */
  | { kind: 'usage-limited'; until: string }
  /** max_consecutive_failures turns in a row could not reach their vendor (DNS, a proxy, a firewall): `host` is the last one. */
  | { kind: 'vendor-unreachable'; host: string }
  | { kind: 'interrupted' }
  /**
   * A write of the run's state failed for want of space (ENOSPC, EDQUOT: `disk-full`) or with an
   * I/O error (EIO: `io-error`); `path` is the file it was writing. The state on disk is the last
   * one written whole (src/loop/shell/storage-stop.ts); `peers up` resumes once the disk is usable again.
   */
  | { kind: 'storage'; problem: StorageProblem; path: string }
  | { kind: 'error'; name: string };

export const STORAGE_PROBLEMS = ['disk-full', 'io-error'] as const;
export type StorageProblem = (typeof STORAGE_PROBLEMS)[number];

export const ALL_PEERS_DOWN_TEXT = 'peer-unavailable:all-peers-down';

export function formatStopReason(r: StopReason): string {
  switch (r.kind) {
    case 'budget':
      return `budget:${r.cap}`;
    case 'stuck':
      return `stuck:${r.gate}`;
    case 'peer-unavailable':
      return `peer-unavailable:${r.peer}`;
    case 'all-peers-down':
      return ALL_PEERS_DOWN_TEXT;
    case 'error':
      return `error:${r.name}`;
    case 'usage-limited':
      return `usage-limited:${r.until}`;
    case 'vendor-unreachable':
      return `vendor-unreachable:${r.host}`;
    case 'storage':
      return `${r.problem}:${r.path}`;
    default:
      return r.kind;
  }
}

/** The inverse of formatStopReason; text it never writes is an `error` reason carrying that text. */
export function parseStopReason(text: string): StopReason {
  if (text === 'complete' || text === 'blocked' || text === 'max_ticks' || text === 'interrupted') return { kind: text };
  if (text === ALL_PEERS_DOWN_TEXT) return { kind: 'all-peers-down' };
  const cut = text.indexOf(':');
  const head = cut < 0 ? text : text.slice(0, cut);
  const rest = cut < 0 ? '' : text.slice(cut + 1);
  if (head === 'budget' && (BUDGET_CAPS as readonly string[]).includes(rest)) return { kind: 'budget', cap: rest as BudgetCap };
  if (head === 'stuck' && rest) return { kind: 'stuck', gate: rest };
  if (head === 'peer-unavailable' && rest) return { kind: 'peer-unavailable', peer: rest };
  if (head === 'usage-limited' && rest) return { kind: 'usage-limited', until: rest };
  if (head === 'vendor-unreachable' && rest) return { kind: 'vendor-unreachable', host: rest };
  if ((STORAGE_PROBLEMS as readonly string[]).includes(head) && rest) return { kind: 'storage', problem: head as StorageProblem, path: rest };
  if (head === 'error') return { kind: 'error', name: rest || 'Error' };
  return { kind: 'error', name: text };
}

/** Exit status of `peers loop`: 0 when the run ended as planned (complete, or the per-run tick limit). */
export function exitCodeFor(r: StopReason): number {
  return r.kind === 'complete' || r.kind === 'max_ticks' ? 0 : 1;
}

/** Stops after which the recorded gates should describe the final HEAD (the run may be resumed or read). */
export function refreshesGatesOnStop(r: StopReason): boolean {
  return r.kind === 'max_ticks' || r.kind === 'budget';
}

export function writeStopReason(path: string, reason: StopReason, now = new Date()): void {
  writeFileAtomic(path, `${formatStopReason(reason)} ${now.toISOString()}\n`);
}

const STOP_REASON = { what: 'stop reason file', hint: 'move it aside; the loop writes it again at its next stop' };

/** The last stop; a file that is not a regular one (or too big) is exit 2, garbage in it is shown as written. */
export function readStopReason(path: string): { reason: string; at: string } | undefined {
  const text = accessingFile(path, STOP_REASON, () => readTextIfExists(path, 64 * 1024))
    ?.split('\n')[0]!
    // Shown on a terminal: no control characters (escape sequences) from a hand-edited file.
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    .trim();
  if (!text) return undefined;
  const cut = text.lastIndexOf(' ');
  return cut < 0 ? { reason: text, at: '' } : { reason: text.slice(0, cut), at: text.slice(cut + 1) };
}

/** What a storage stop means and what the operator does about it, in one line. */
export function storageStopText(r: { problem: StorageProblem; path: string }): string {
  const resume = "the state on disk is the last one written whole, so `peers up` (or `peers loop`) resumes the run from there";
  return r.problem === 'disk-full'
    ? `The disk holding the run's state is full (writing ${r.path}): free space on it; ${resume}.`
    : `An I/O error while writing ${r.path} stopped the run: check the disk (dmesg, df); ${resume}.`;
}
