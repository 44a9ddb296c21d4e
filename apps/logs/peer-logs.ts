/**
 * `peers logs --peer NAME [--since …] [--tail N] [-f]`: one peer's output, turn by turn, from the
 * tick logs the loop writes while the turn runs (src/loop/shell/tick-log.ts). With -f it keeps reading
 * the files as they grow, including the turn under way and the peer's next turns, and ends when
 * the run stops (or on Ctrl-C). stdout goes to stdout, stderr to stderr; each turn starts with a
 * `==> tick N (peer) <==` line. Old turns' logs are gzipped by the loop and read as well.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/cli/errors.ts';
import { MiB, readFileCapped, readRange } from '../../src/fs/safe-read.ts';
import { probeRunLock } from '../../src/state/run-lock.ts';
import { statePaths } from '../../src/state/paths.ts';
import { loadState } from '../../src/state/state-store.ts';
import { ReadablePeerOutput } from './readable-peer-output.ts';

export type LogStream = 'stdout' | 'stderr';
export type TickLogFile = { tick: number; peer: string; stream: LogStream; name: string; gz: boolean };
export type Since = { kind: 'time'; atMs: number } | { kind: 'tick'; tick: number };

const NAME = /^tick-(\d{5,})-([A-Za-z0-9][A-Za-z0-9_-]{0,31})\.(stdout|stderr)\.log(\.gz)?$/;

export function listTickLogs(logsDir: string): TickLogFile[] {
  let names: string[];
  try {
    names = readdirSync(logsDir);
  } catch {
    return [];
  }
  const out: TickLogFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m) out.push({ tick: Number(m[1]), peer: m[2]!, stream: m[3] as LogStream, name, gz: Boolean(m[4]) });
  }
  // Within a tick, stdout first; a plain file wins over a gzipped copy of itself.
  return out.sort((a, b) => a.tick - b.tick || (a.stream === b.stream ? Number(a.gz) - Number(b.gz) : a.stream === 'stdout' ? -1 : 1));
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d`, an ISO date/time, or `tick:N`. */
export function parseSince(text: string, now: Date): Since {
  const t = text.trim();
  const rel = /^(\d+)([smhd])$/.exec(t);
  if (rel) return { kind: 'time', atMs: now.getTime() - Number(rel[1]) * UNITS[rel[2]!]! };
  const tick = /^tick:(\d+)$/.exec(t);
  if (tick) return { kind: 'tick', tick: Number(tick[1]) };
  if (/^\d{4}-\d\d-\d\d/.test(t) && Number.isFinite(Date.parse(t))) return { kind: 'time', atMs: Date.parse(t) };
  throw new InputError(`--since ${JSON.stringify(text)} is not a duration, a date or a tick`, { hint: 'use e.g. --since 30m, --since 2h, --since 2026-12-05T01:00:00Z or --since tick:12' });
}

/** The last `n` lines of `chunks` (in order), keeping each chunk's identity. */
export function tailChunks<T extends { text: string }>(chunks: T[], n: number): T[] {
  const out: T[] = [];
  let left = n;
  for (let i = chunks.length - 1; i >= 0 && left > 0; i--) {
    const c = chunks[i]!;
    const lines = c.text.endsWith('\n') ? c.text.slice(0, -1).split('\n') : c.text.split('\n');
    const keep = lines.slice(Math.max(0, lines.length - left));
    left -= keep.length;
    out.unshift({ ...c, text: `${keep.join('\n')}${c.text.endsWith('\n') ? '\n' : ''}` });
  }
  return out;
}

export type PeerLogOptions = {
  stateDir: string;
  peer: string;
  since?: Since;
  tail?: number;
  follow: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  signal?: AbortSignal;
  pollMs?: number;
  /** The output as the CLI wrote it, its JSON events included (readable-peer-output.ts renders them otherwise). */
  raw?: boolean;
};

function knownPeers(stateDir: string): string[] | null {
  try {
    return loadState(statePaths(stateDir).state)?.peer_order ?? null;
  } catch {
    return null;
  }
}

export async function showPeerLogs(o: PeerLogOptions): Promise<number> {
  const paths = statePaths(o.stateDir);
  const peers = knownPeers(o.stateDir);
  if (peers === null) throw new InputError(`no run in ${o.stateDir} yet`, { hint: 'start one with `peers up`' });
  if (!peers.includes(o.peer)) throw new InputError(`no peer named '${o.peer}' in this run`, { hint: `its peers: ${peers.join(', ')}` });
  const mine = () => listTickLogs(paths.logs).filter((f) => f.peer === o.peer);
  const selected = (f: TickLogFile) => {
    if (!o.since) return true;
    if (o.since.kind === 'tick') return f.tick >= o.since.tick;
    try {
      return statSync(join(paths.logs, f.name)).mtimeMs >= o.since.atMs;
    } catch {
      return false;
    }
  };
  // History: every selected file whole (a plain file and its gzipped copy are one log). Files not
  // selected are followed only from their current end.
  const existing = mine();
  const files = existing.filter(selected).filter((f) => !(f.gz && existing.some((g) => !g.gz && g.tick === f.tick && g.stream === f.stream)));
  const offsets = new Map<string, number>();
  for (const f of existing) {
    if (f.gz || files.includes(f)) continue;
    try {
      offsets.set(f.name, statSync(join(paths.logs, f.name)).size);
    } catch {}
  }
  const decoders = new Map<string, TextDecoder>();
  // Rendered as it is read (the last line of a file still written waits for its end), unless raw.
  const readable = o.raw ? undefined : new ReadablePeerOutput();
  const shown = (f: TickLogFile, text: string) => (readable ? readable.push(`${f.tick}.${f.stream}`, text) : text);
  const chunks: Array<{ tick: number; stream: LogStream; text: string }> = [];
  for (const f of files) {
    const path = join(paths.logs, f.name);
    if (f.gz) {
      const whole = shown(f, new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(readFileCapped(path, 64 * MiB)))));
      chunks.push({ tick: f.tick, stream: f.stream, text: whole + (readable?.end(`${f.tick}.${f.stream}`) ?? '') });
      continue;
    }
    const r = readRange(path, { from: 0 });
    if (!r) continue;
    const dec = new TextDecoder('utf-8', { fatal: false });
    decoders.set(f.name, dec);
    offsets.set(f.name, r.end);
    const text = shown(f, dec.decode(r.bytes, { stream: true }));
    // Not followed, a file's last line is all there is of it.
    chunks.push({ tick: f.tick, stream: f.stream, text: text + (readable && !o.follow ? readable.end(`${f.tick}.${f.stream}`) : '') });
  }
  let headerFor = -1;
  const emit = (tick: number, stream: LogStream, text: string) => {
    if (!text) return;
    if (tick !== headerFor) {
      o.out(`==> tick ${tick} (${o.peer}) <==\n`);
      headerFor = tick;
    }
    (stream === 'stderr' ? o.err : o.out)(text);
  };
  for (const c of o.tail !== undefined ? tailChunks(chunks.filter((c) => c.text), o.tail) : chunks) emit(c.tick, c.stream, c.text);
  if (!o.follow) return 0;
  const pollMs = o.pollMs ?? 250;
  let quietAfterStop = 0;
  while (!o.signal?.aborted) {
    let grew = false;
    for (const f of mine()) {
      if (f.gz || (files.some((h) => h.name === f.name) && !offsets.has(f.name))) continue;
      const r = readRange(join(paths.logs, f.name), { from: offsets.get(f.name) ?? 0 });
      if (!r || !r.bytes.length) continue;
      let dec = decoders.get(f.name);
      if (!dec) decoders.set(f.name, (dec = new TextDecoder('utf-8', { fatal: false })));
      offsets.set(f.name, r.end);
      grew = true;
      emit(f.tick, f.stream, shown(f, dec.decode(r.bytes, { stream: true })));
    }
    let running = false;
    try {
      running = probeRunLock(paths.lock).held;
    } catch {
      running = false;
    }
    // After the loop let go of its lock, one more quiet pass drains what it wrote last.
    quietAfterStop = running || grew ? 0 : quietAfterStop + 1;
    if (quietAfterStop >= 2) {
      // The run is over: what is left of each file's last line is all there is.
      if (readable) for (const f of mine()) if (!f.gz) emit(f.tick, f.stream, readable.end(`${f.tick}.${f.stream}`));
      break;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      o.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  }
  return 0;
}
