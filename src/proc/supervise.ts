/**
 * Runs one child process under supervision: its own process group (so a kill reaches everything it
 * started), bounded output capture, idle and absolute timeouts, an external abort, and a live output
 * callback. Used for hard gates and for peer CLIs alike.
 *
 * The one subtle promise: it returns promptly even when a background grandchild keeps stdout/stderr
 * open after the child itself exited. Waiting for EOF alone would hang forever on `cmd &`.
 *
 * The child's group also dies when this process dies without a chance to stop it (SIGKILL, a
 * crash): it runs under a parent-death guard (parent-death-guard.ts), and a tracker installed by
 * the loop records it so the next loop can reap what a dead one left (child-tracker.ts).
 *
 * Started with Bun.spawn, not node:child_process: about half the CPU per start (the loop starts
 * three supervised children a tick: BENCHMARKS.md, "Loop processes per tick"), its output read as
 * web streams. The guard's lifeline is Bun's fourth stdio pipe (a socket pair; our end close-on-exec,
 * so no other child inherits it).
 */
import type { Subprocess } from 'bun';
import { closeSync, existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { noteChildEnded, noteChildStarted, trackedChildEnv } from './child-tracker.ts';
import { newRunMark, RUN_MARK_VAR, stopMarked } from './marked-leftovers.ts';
import { guardedArgv } from './parent-death-guard.ts';
import { processStartTicks } from './proc-table.ts';
import { isSubreaper, reapZombies, stopOrphans, type LiveRuns } from './subreaper.ts';
import { lookupProgram } from './program-lookup.ts';
import { StreamCapture } from './stream-capture.ts';

export type SuperviseOptions = {
  argv: string[];
  cwd: string;
  /** Full environment for the child (caller merges process.env if wanted). */
  env?: Record<string, string>;
  /** Written then closed; undefined → /dev/null. */
  stdin?: string;
  /** No stdout/stderr byte for this long → kill, endedBy 'idle-timeout'. */
  idleTimeoutMs?: number;
  /** → kill, endedBy 'absolute-timeout'. */
  absoluteTimeoutMs?: number;
  /** SIGTERM to the whole process group, wait, then SIGKILL (default 5000). */
  killGraceMs?: number;
  /** Per stream, default 2 MiB; keeps head + tail, sets *Truncated. */
  maxStreamBytes?: number;
  /** Live scan/tee; returning 'kill' stops the child. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void | 'kill';
  /** External stop request (graceful: SIGTERM, grace, SIGKILL). */
  signal?: AbortSignal;
  /**
   * When the run ends, also stop what left its process group (`setsid`, a double fork): every
   * process started with this run's mark in its environment (marked-leftovers.ts). Peer turns.
   */
  stopLeftovers?: boolean;
};

export type EndedBy = 'exit' | 'idle-timeout' | 'absolute-timeout' | 'aborted' | 'killed-by-callback' | 'spawn-error';

export type SupervisedResult = {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
  endedBy: EndedBy;
  spawnError?: string;
  /** With `stopLeftovers`: how many processes the run left running outside its group were stopped. */
  leftoversStopped?: number;
  /** With `stopLeftovers`: why some of them could not be stopped. */
  leftoversError?: string;
};

export const DEFAULT_MAX_STREAM_BYTES = 2 * 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;
/** After the leader exits: how long leftover group members get after SIGTERM before SIGKILL. */
const ORPHAN_TERM_MS = 300;
/** After that: how long we keep reading before abandoning pipes held by an escaped (setsid) process. */
const FINAL_DRAIN_MS = 200;

/** Python-style exit status for a signal death: -N, so callers can show one number. */
export function signalExitCode(signal: string | null): number | null {
  if (!signal) return null;
  const n = (osConstants.signals as Record<string, number>)[signal];
  return n === undefined ? null : -n;
}

/** A signal as its name (`SIGTERM`), as node:child_process reports it. */
function signalName(signal: NodeJS.Signals | number | null): NodeJS.Signals | null {
  if (typeof signal !== 'number') return signal;
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signal);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

export function supervise(opts: SuperviseOptions): Promise<SupervisedResult> {
  return new Promise((resolve) => new Supervision(opts, resolve).start());
}

/**
 * What this process's supervised runs are, for the sweep of leftovers that dropped their mark
 * (subreaper.ts): the children the runtime started and has not reaped yet, and each run not
 * finished, by its process group and start (keyed by run: a finished run's pid may already be
 * another's).
 */
const runsUnderWay = new Map<object, { group: number; start: number }>();
const live: LiveRuns = { unreaped: new Set<number>(), runs: { [Symbol.iterator]: () => runsUnderWay.values() } };
const unreaped = live.unreaped as Set<number>;
/** As a subreaper, the dead the runtime never waits for are reaped as they come, not only at a run's end. */
let reaping: ReturnType<typeof setInterval> | undefined;
const REAP_EVERY_MS = 1000;

class Supervision {
  private readonly t0 = performance.now();
  private readonly out: StreamCapture;
  private readonly err: StreamCapture;
  private child: Subprocess | undefined;
  /** Our end of the guard's lifeline (fd 3 in the child); closed once, at finish. */
  private lifeline: number | undefined;
  private readonly readers: { cancel(): Promise<void> }[] = [];
  private endedBy: EndedBy | undefined;
  private lastOutputAt = performance.now();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private openStreams = 0;
  private exited: { code: number | null; signal: string | null } | undefined;
  private done = false;
  private readonly onAbort = () => this.kill('aborted');
  /** This run's mark (marked-leftovers.ts), with `stopLeftovers`. */
  private readonly mark: string | undefined;
  /** When the child started (clock ticks since boot); null when /proc cannot say. */
  private childStart: number | null = null;

  constructor(
    private readonly opts: SuperviseOptions,
    private readonly resolve: (r: SupervisedResult) => void,
  ) {
    const cap = opts.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES;
    this.out = new StreamCapture(cap);
    this.err = new StreamCapture(cap);
    this.mark = opts.stopLeftovers ? newRunMark() : undefined;
  }

  start(): void {
    const { opts } = this;
    if (opts.argv.length === 0) return this.spawnFailed('empty argv');
    if (opts.signal?.aborted) {
      this.endedBy = 'aborted';
      return this.finish();
    }
    const env: Record<string, string> = { ...(opts.env ?? (process.env as Record<string, string>)), ...trackedChildEnv() };
    if (this.mark) env[RUN_MARK_VAR] = this.mark; // last: no caller chooses it
    if (!existsSync(opts.cwd)) return this.spawnFailed(`spawn ${opts.argv[0]} ENOENT`, 'ENOENT');
    // The guard's `exec` would make a missing program an ordinary exit 127: find it first.
    const program = lookupProgram(opts.argv[0]!, opts.cwd, env.PATH);
    if (!program.ok) return this.spawnFailed(program.message, program.code);
    const guard = guardedArgv(opts.argv);
    let child: Subprocess<'pipe' | 'ignore', 'pipe', 'pipe'>;
    try {
      child = Bun.spawn([guard.file, ...guard.args], {
        cwd: opts.cwd,
        env,
        // detached → setsid(): the child leads a new process group we can signal as a whole.
        detached: true,
        // fd 3: the guard's lifeline, never written; it reads end of file when this process dies.
        stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe'],
      }) as Subprocess<'pipe' | 'ignore', 'pipe', 'pipe'>;
    } catch (error) {
      return this.spawnFailed((error as Error).message, (error as NodeJS.ErrnoException).code);
    }
    this.child = child;
    const pid = child.pid;
    unreaped.add(pid);
    child.exited.finally(() => unreaped.delete(pid)).catch(() => {});
    // Where the sweeps of this run's leftovers start looking (marked-leftovers.ts, subreaper.ts).
    this.childStart = processStartTicks(pid);
    runsUnderWay.set(this, { group: pid, start: this.childStart ?? 0 });
    if (!reaping && isSubreaper()) reaping = setInterval(() => reapZombies(live), REAP_EVERY_MS).unref();
    const lifeline = child.stdio[3];
    this.lifeline = typeof lifeline === 'number' ? lifeline : undefined;
    noteChildStarted(child.pid, opts.argv[0]!);

    this.attach('stdout', child.stdout, this.out);
    this.attach('stderr', child.stderr, this.err);
    if (opts.stdin !== undefined && child.stdin) {
      // A child that never reads its stdin closes the pipe: EPIPE is its choice, not our failure.
      const sink = child.stdin;
      // write() returns a promise when the pipe is full; its rejection (EPIPE) is caught like end()'s.
      try {
        void Promise.resolve(sink.write(opts.stdin)).catch(() => {});
        void Promise.resolve(sink.end()).catch(() => {});
      } catch {}
    }
    void child.exited.then(() => this.leaderExited(child.exitCode, signalName(child.signalCode)));

    if (opts.absoluteTimeoutMs !== undefined) this.after(opts.absoluteTimeoutMs, () => this.kill('absolute-timeout'));
    if (opts.idleTimeoutMs !== undefined) this.armIdle(opts.idleTimeoutMs);
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private attach(name: 'stdout' | 'stderr', stream: ReadableStream<Uint8Array>, capture: StreamCapture): void {
    this.openStreams++;
    // Stream-mode decoding keeps a multi-byte character split across two reads intact for onOutput.
    const decoder = new TextDecoder('utf-8', { fatal: false });
    const reader = stream.getReader();
    this.readers.push(reader);
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      const rest = decoder.decode();
      if (rest && this.opts.onOutput && this.endedBy === undefined && !this.done) this.opts.onOutput(name, rest);
      this.openStreams--;
      this.maybeFinish();
    };
    const pump = async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (value.byteLength === 0) continue;
          this.lastOutputAt = performance.now();
          capture.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
          if (this.opts.onOutput && this.endedBy === undefined && !this.done) {
            const text = decoder.decode(value, { stream: true });
            if (text && this.opts.onOutput(name, text) === 'kill') this.kill('killed-by-callback');
          }
        }
      } catch {
        // A cancelled read (we abandoned the pipe) or a failed one: the stream is over for us.
      }
      closed();
    };
    void pump();
  }

  private armIdle(idleMs: number): void {
    const check = () => {
      const silent = performance.now() - this.lastOutputAt;
      if (silent >= idleMs) this.kill('idle-timeout');
      else this.after(idleMs - silent, check);
    };
    this.after(idleMs, check);
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.done) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  private signalGroup(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  /** First reason wins; SIGTERM to the group now, SIGKILL after the grace period. */
  private kill(reason: EndedBy): void {
    // Once the leader has exited, the run ended on its own; stragglers are handled by leaderExited.
    if (this.endedBy !== undefined || this.done || this.exited) return;
    this.endedBy = reason;
    this.signalGroup('SIGTERM');
    this.after(this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS, () => this.signalGroup('SIGKILL'));
  }

  private leaderExited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = { code, signal };
    // Leftover group members (`cmd &`) must not outlive the run, nor hold our pipes open.
    this.signalGroup('SIGTERM');
    this.after(ORPHAN_TERM_MS, () => {
      this.signalGroup('SIGKILL');
      // A process that escaped the group (setsid) may still hold the pipes: stop waiting for it.
      this.after(FINAL_DRAIN_MS, () => this.finish());
    });
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.exited && this.openStreams <= 0) this.finish();
  }

  private spawnFailed(message: string, code?: string): void {
    this.endedBy = 'spawn-error';
    // posix_spawn reports a missing cwd as ENOENT of the program, which sends users hunting the wrong path.
    if (code === 'ENOENT' && !existsSync(this.opts.cwd)) message = `working directory ${this.opts.cwd} does not exist (${message})`;
    this.finish({ exitCode: code === 'ENOENT' ? 127 : 126, spawnError: message });
  }

  private finish(extra: Partial<SupervisedResult> = {}): void {
    if (this.done) return;
    this.done = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    for (const reader of this.readers) reader.cancel().catch(() => {});
    if (this.lifeline !== undefined) {
      // The group is gone (or escaped it): closing the lifeline stops a watcher that outlived it.
      try {
        closeSync(this.lifeline);
      } catch {}
      this.lifeline = undefined;
    }
    if (this.child) {
      this.child.unref();
      noteChildEnded(this.child.pid);
    }
    runsUnderWay.delete(this);
    if (this.mark && this.child) extra = { ...this.stopLeftovers(this.mark), ...extra };
    this.resolve({
      exitCode: this.exited?.code ?? null,
      signal: this.exited?.signal ?? null,
      stdout: this.out.text(),
      stderr: this.err.text(),
      stdoutTruncated: this.out.truncated,
      stderrTruncated: this.err.truncated,
      durationMs: Math.round(performance.now() - this.t0),
      endedBy: this.endedBy ?? 'exit',
      ...extra,
    });
  }

  private stopLeftovers(mark: string): Partial<SupervisedResult> {
    let marked = 0;
    try {
      marked = this.child ? stopMarked(mark, this.child.pid, this.childStart ?? 0) : 0;
      // The host loop's children that dropped the mark (`env -i`) and belong to no live run.
      return { leftoversStopped: marked + (isSubreaper() ? stopOrphans(live) : 0) };
    } catch (error) {
      return { leftoversStopped: marked, leftoversError: (error as Error).message };
    }
  }
}
