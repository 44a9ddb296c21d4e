/**
 * The usage ledger: the run's authority for spend. One JSON line per metered reply (and one per
 * request refused for budget), appended with one write on an O_APPEND descriptor and fsync'd.
 * The sidecar keeps running totals in memory, seeded from the file, so a restart does not forget
 * money spent; the loop, `peers status` and `peers report` read the file.
 *
 * Reading fails closed: a complete line that is not a ledger line (a string where a number
 * belongs, a negative or non-finite figure, a missing field) is an error naming the file and line,
 * never a line silently worth $0. Only the last line may be torn (a crash mid-append): readers
 * count it if it is whole and skip it otherwise; the sidecar repairs it before appending again.
 */
import { closeSync, constants, existsSync, fstatSync, ftruncateSync, lstatSync, openSync, readSync, writeSync } from 'node:fs';
// zod's functional build: the sidecar runs for hours and loads no other zod (BENCHMARKS.md, Memory).
import { appendLineSafe, assertSafeLeaf, UnsafePathError } from '../../src/fs/atomic-write.ts';
import { FileTooLargeError } from '../../src/fs/safe-read.ts';
import { normalizeModel } from './price-table.ts';
import { projectTierAfter } from './project-tier.ts';
import { DEFAULT_REFUSAL_WINDOW_MS, RefusalLines } from './refusal-lines.ts';
import { orphanReply } from './reservation-journal.ts';
import { ServedSizes } from './served-sizes.ts';
import { ledgerLineSchemas, type LedgerLine, type LimitedLine, type RefusalLine, type ReleasedLine, type ReplyLine, type ReservedLine } from './ledger-lines.ts';

export { CUT_SHORT, type CutShort, type LedgerLine, type LimitedLine, type RefusalLine, type ReleasedLine, type ReplyLine, type ReservedLine } from './ledger-lines.ts';

export class LedgerError extends Error {
  constructor(readonly path: string, readonly line: number, detail: string) {
    super(line > 0 ? `${path}:${line}: ${detail}` : `${path}: ${detail}`);
    this.name = 'LedgerError';
  }
}

function parseLine(text: string): { ok: true; line: LedgerLine } | { ok: false; detail: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'not a JSON line' };
  }
  const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  const schemas = ledgerLineSchemas();
  const schema = kind === 'refused' ? schemas.refused : kind === 'limited' ? schemas.limited : kind === 'reserved' ? schemas.reserved : kind === 'released' ? schemas.released : schemas.reply;
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, line: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.path.join('.') || '(line)';
  const got = issue.path.length ? JSON.stringify(issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], raw)) : '';
  return { ok: false, detail: `${field}: ${issue.message}${got !== undefined && got !== '' ? ` (got ${got})` : ''}` };
}

export type LedgerRead = { lines: LedgerLine[]; tornTail: boolean };

const READ_LIMIT = 256 * 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;

/** Reads a ledger (missing = empty). Throws LedgerError on a damaged line other than a torn last one. */
/** Opening a FIFO would block forever; a symlink is refused by the no-follow reads and writes. */
function assertRegularOrAbsent(path: string): boolean {
  if (!existsSync(path)) return false;
  const st = lstatSync(path);
  if (!st.isFile() && !st.isSymbolicLink()) throw new LedgerError(path, 0, 'not a regular file');
  return true;
}

/**
 * Calls `visit` with each line of a ledger (missing = none), in order, reading it a few MiB at a
 * time: a starting sidecar holds only what it keeps from the lines, never all of them (a 48 MB
 * ledger read whole took it to 181 MiB of its container's 256). Throws LedgerError on a damaged
 * line other than a torn last one, which is visited if it is whole; says whether there was one.
 */
export function forEachLedgerLine(path: string, visit: (line: LedgerLine) => void): { tornTail: boolean } {
  if (!assertRegularOrAbsent(path)) return { tornTail: false };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(path, 'it is a symlink');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafePathError(path, 'it is not a regular file');
    if (st.size > READ_LIMIT) throw new FileTooLargeError(path, READ_LIMIT);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const chunk = Buffer.alloc(Math.min(READ_CHUNK, Math.max(st.size, 1)));
    let carry: Buffer = Buffer.alloc(0);
    let lineNo = 0;
    // Up to the size it had when opened: a line being appended meanwhile is a torn tail, skipped as before.
    for (let at = 0; at < st.size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, st.size - at), at);
      if (n === 0) break;
      at += n;
      let data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0) {
        lineNo++;
        const text = decoder.decode(data.subarray(0, nl));
        data = data.subarray(nl + 1);
        if (!text.trim()) continue;
        const r = parseLine(text);
        if (!r.ok) throw new LedgerError(path, lineNo, `${r.detail}; the ledger is damaged: move it aside (the run's spend is then unknown) or repair the line`);
        visit(r.line);
      }
      carry = Buffer.from(data);
    }
    const last = decoder.decode(carry);
    if (!last.trim()) return { tornTail: false };
    const r = parseLine(last);
    if (r.ok) visit(r.line);
    return { tornTail: true };
  } finally {
    closeSync(fd);
  }
}

export function readLedgerFile(path: string): LedgerRead {
  const lines: LedgerLine[] = [];
  const { tornTail } = forEachLedgerLine(path, (l) => lines.push(l));
  return { lines, tornTail };
}

export const isReply = (l: LedgerLine): l is ReplyLine => l.kind === undefined || l.kind === 'reply';
export const isRefusal = (l: LedgerLine): l is RefusalLine => l.kind === 'refused';
export const isLimited = (l: LedgerLine): l is LimitedLine => l.kind === 'limited';
export const isReserved = (l: LedgerLine): l is ReservedLine => l.kind === 'reserved';
export const isReleased = (l: LedgerLine): l is ReleasedLine => l.kind === 'released';

/** The metered replies of a ledger (refusal and limit lines left out). */
export function readLedger(path: string): ReplyLine[] {
  return readLedgerFile(path).lines.filter(isReply);
}

export type UsageTotals = { replies: number; tokens: number; usd: number };

export function totalsOf(lines: Iterable<LedgerLine>): UsageTotals {
  const t: UsageTotals = { replies: 0, tokens: 0, usd: 0 };
  for (const l of lines) {
    if (!isReply(l)) continue;
    t.replies++;
    t.tokens += l.total_tokens;
    t.usd += l.usd;
  }
  t.usd = Math.round(t.usd * 1e8) / 1e8;
  return t;
}

/**
 * Makes the file end with a whole line before the sidecar appends again: a torn last line that is
 * a complete ledger line gets its newline; anything else after the last newline is cut off.
 * Returns what was done.
 */
export function repairTornTail(path: string): 'none' | 'completed' | 'truncated' {
  if (!assertRegularOrAbsent(path)) return 'none';
  assertSafeLeaf(path);
  const fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 'none';
    const tailLen = Math.min(size, 1024 * 1024);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    if (tail[tailLen - 1] === 0x0a) return 'none';
    const nl = tail.lastIndexOf(0x0a);
    if (nl < 0 && tailLen < size) {
      throw new LedgerError(path, 0, 'its last line is longer than 1 MiB and has no end; the ledger is damaged: move it aside');
    }
    const piece = tail.subarray(nl + 1).toString('utf8');
    if (parseLine(piece).ok) {
      writeSync(fd, Buffer.from('\n'), 0, 1, size);
      return 'completed';
    }
    ftruncateSync(fd, size - tailLen + nl + 1);
    return 'truncated';
  } finally {
    closeSync(fd);
  }
}

/**
 * The key of `UsageLedger.servedModels`: the model by its price-table id, and a router's routing
 * preferences when the request named some (the same model from another provider is another price).
 */
export const servedKey = (upstream: string, model: string, routing?: string) => `${upstream}\0${normalizeModel(model)}${routing === undefined ? '' : `\0${routing}`}`;

/** The sidecar's handle on the ledger: repaired and read once at start, then appended to. */
/**
 * The longest text a ledger line keeps in one field. A model name is the peer's to choose (under a
 * token cap any name goes out), and a 4 MiB one made every line naming it 4 MiB: a few requests
 * took the ledger toward its readers' 256 MiB cap, which holds the run.
 */
export const MAX_LEDGER_TEXT = 256;

function boundedText(line: LedgerLine): LedgerLine {
  let out: LedgerLine | null = null;
  for (const [k, v] of Object.entries(line)) {
    if (typeof v !== 'string' || v.length <= MAX_LEDGER_TEXT) continue;
    out ??= { ...line };
    (out as Record<string, unknown>)[k] = v.slice(0, MAX_LEDGER_TEXT);
  }
  return out ?? line;
}

export type UsageLedgerOptions = { refusalWindowMs?: number };

export class UsageLedger {
  totals: UsageTotals;
  /** What the start-up repair did to a torn last line. */
  readonly repair: 'none' | 'completed' | 'truncated';
  /** Set when an append failed (disk full, file replaced): spend can no longer be recorded. */
  broken: Error | null = null;

  /**
   * Per upstream, the highest ratio of a reply's stated cost to the table's price for it: the
   * budget reserves that upstream's requests at no less (budget.ts, `costFactor`).
   */
  readonly costRatios = new Map<string, number>();
  /**
   * `upstream\0model` of every reply that ended whole, with its request's output cap (its `reserved`
   * line's): what that model costs there has been seen for requests asking no more (served-sizes.ts).
   */
  readonly servedModels = new ServedSizes();
  /** The output caps of the reservations not yet settled, by id: what a reply's request asked for. */
  private readonly openSizes = new Map<string, number>();
  /** Per project-billed upstream, the dearest tier its project's replies reported (project-tier.ts): a new sidecar starts knowing it. */
  readonly projectTiers = new Map<string, string>();

  /** Budget refusals, written through here so a flood of them adds one line per window (refusal-lines.ts). */
  private readonly refusalLines: RefusalLines;

  constructor(readonly path: string, opts: UsageLedgerOptions = {}) {
    this.refusalLines = new RefusalLines((l) => this.append(l), opts.refusalWindowMs ?? DEFAULT_REFUSAL_WINDOW_MS);
    this.repair = repairTornTail(path);
    // Folded line by line (forEachLedgerLine): only the totals and the reservations still open are kept.
    const totals: UsageTotals = { replies: 0, tokens: 0, usd: 0 };
    const open = new Map<string, ReservedLine>();
    const settled = new Set<string>();
    const settle = (id: string) => {
      if (!open.delete(id)) settled.add(id);
    };
    forEachLedgerLine(path, (l) => {
      if (isReply(l)) {
        totals.replies++;
        totals.tokens += l.total_tokens;
        totals.usd += l.usd;
        const r = typeof l.reservation === 'string' ? open.get(l.reservation) : undefined;
        this.noteReply(l, r?.output_tokens);
        if (typeof l.reservation === 'string') settle(l.reservation);
      } else if (isReleased(l)) settle(l.id);
      else if (isReserved(l) && !settled.has(l.id)) open.set(l.id, l);
    });
    totals.usd = Math.round(totals.usd * 1e8) / 1e8;
    this.totals = totals;
    // Requests a sidecar that stopped had at the vendor: billed, never metered; spent at their reservation.
    this.orphansSettled = open.size;
    for (const r of open.values()) this.append(orphanReply(r, new Date().toISOString()));
  }

  /** Reservations a stopped sidecar left unsettled, counted as spent when this one opened the ledger. */
  readonly orphansSettled: number;

  /** What a reply line teaches the sidecars that read the ledger: served models, cost ratios, project tiers. */
  private noteReply(l: ReplyLine, outputCap: number | undefined): void {
    // A line written before `tier_from_project` existed may be one: taken as one (reserving dearer is the safe side).
    const fromProject = l.tier_from_project ?? l.upstream === 'openai';
    const tier = projectTierAfter(this.projectTiers.get(l.upstream), fromProject ? {} : null, true, l.service_tier);
    if (tier !== undefined) this.projectTiers.set(l.upstream, tier);
    // A reply whose request's cap is unknown (no reservation) shows the price of no request with one.
    if (l.status >= 200 && l.status < 300 && !l.cut_short) this.servedModels.note(servedKey(l.upstream, l.model, l.routing), outputCap ?? 0);
    if (l.vendor_usd === undefined || l.table_usd === undefined || l.vendor_usd <= l.table_usd) return;
    // A reply the table prices at (almost) nothing but the vendor billed: priced against a micro-dollar,
    // a huge but finite ratio (a reservation must stay a number the ledger can record).
    const ratio = l.vendor_usd / Math.max(l.table_usd, 1e-6);
    if (ratio > (this.costRatios.get(l.upstream) ?? 1)) this.costRatios.set(l.upstream, ratio);
  }

  /** A request refused for budget: on the ledger at once if it is the first under its cap in the window, counted otherwise. */
  appendRefusal(line: RefusalLine): void {
    this.refusalLines.record(line);
  }

  append(whole: LedgerLine): void {
    const line = boundedText(whole);
    try {
      appendLineSafe(this.path, JSON.stringify(line));
    } catch (e) {
      this.broken ??= e as Error;
      throw e;
    }
    if (isReserved(line)) this.openSizes.set(line.id, line.output_tokens);
    else if (isReleased(line)) this.openSizes.delete(line.id);
    if (!isReply(line)) return;
    const outputCap = typeof line.reservation === 'string' ? this.openSizes.get(line.reservation) : undefined;
    if (typeof line.reservation === 'string') this.openSizes.delete(line.reservation);
    this.noteReply(line, outputCap);
    this.totals.replies++;
    this.totals.tokens += line.total_tokens;
    this.totals.usd = Math.round((this.totals.usd + line.usd) * 1e8) / 1e8;
  }
}
