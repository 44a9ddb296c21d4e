/**
 * When the loop stops, the rest of the pod stops with it (docs/ARCHITECTURE.md, "When the loop
 * stops"). The loop listens on a Unix socket in a directory only it can write (`lifeline/`, read-only
 * in every other container); each other container's main process connects to it once and, when
 * that connection closes, stops itself with SIGTERM, its normal graceful stop. The kernel closes the
 * connection however the loop ends (a verdict, `peers down`, a crash, SIGKILL), so no sidecar keeps
 * running beside a dead loop, and no process outside the pod is needed to watch it.
 *
 * The workspace can connect too (its runner takes part); the loop keeps at most MAX_HOLDERS
 * connections, so a peer opening sockets in a loop cannot exhaust the loop's file descriptors.
 *
 * The line also tells the loop which containers are alive (docs/ARCHITECTURE.md, "A dead
 * sidecar"): each holder's first line names its role (`PEERS_ROLE`, set by the pod spec), and a
 * role whose every connection has closed is down until one connects again. A container connects as
 * soon as the loop listens (so it stops with the loop from then on), but names its role only once
 * it serves (its socket or port listens: `roleReady`). `peers up` starts the pod's containers all
 * at once, the loop among them, so the loop waits for every role before its first tick (`started`)
 * instead of relying on a start order; its first gate probe waits only for the roles it uses. Code in the workspace or
 * the gates can connect and name any role, so it could hide a dead container (the run then fails its
 * turns, as before) but never fake one: a role counts as down only while no connection holds it.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export const LIFELINE_ENV = 'PEERS_LIFELINE';
export const LIFELINE_DIR_NAME = 'lifeline';
export const LIFELINE_SOCKET_NAME = 'loop.sock';
/** The loop's env: the roles of its pod's other containers, comma-separated. */
export const POD_ROLES_ENV = 'PEERS_POD_ROLES';
const MAX_HOLDERS = 32;
/** What the loop writes on a connection it refuses (every slot taken): the only thing it ever writes. */
const LIFELINE_FULL = 'full\n';

export const ROLE_ENV = 'PEERS_ROLE';
/** The most of a holder's first line the loop reads (a role name is short). */
const ROLE_MAX = 32;

export type Lifeline = {
  close(): Promise<void>;
  /** Roles that held the line and no longer do (sorted). */
  down(): string[];
  /** Resolves at the next connection or disconnection of a role (or at `signal`). */
  changed(signal?: AbortSignal): Promise<void>;
  /**
   * Resolves once every role of the pod (or of `only`, those of them in the pod) has held the line
   * (each serves), or at `signal`, or after `timeoutMs` with the roles that never came: those count
   * as down from then on (`down`).
   */
  started(signal: AbortSignal, timeoutMs: number, only?: readonly string[]): Promise<string[]>;
};

let loopLifeline: Lifeline | undefined;
/** The loop's lifeline, when this process holds one (the pod's loop). */
export function heldLifeline(): Lifeline | undefined {
  return loopLifeline;
}

/**
 * The loop's side: listen, accept up to MAX_HOLDERS, read only a holder's first line (its role,
 * one of `roles`: anything else is ignored), never answer.
 */
export function holdLifeline(path: string, roles: readonly string[] = []): Promise<Lifeline> {
  if (existsSync(path)) unlinkSync(path); // a socket left by an earlier loop of this pod
  const held = new Set<Socket>();
  const holders = new Map<string, number>();
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const server: Server = createServer((s) => {
    if (held.size >= MAX_HOLDERS) {
      // Said before closing, so a closed line is not taken for the loop's exit (awaitLoopExit).
      s.on('error', () => {});
      s.write(LIFELINE_FULL, () => s.destroy());
      return;
    }
    held.add(s);
    let first = '';
    let role: string | undefined;
    const onData = (b: Buffer) => {
      first += b.toString('latin1');
      const end = first.indexOf('\n');
      if (end < 0 && first.length <= ROLE_MAX) return;
      s.off('data', onData);
      s.on('data', () => {}); // anything after the role is ignored
      const named = end < 0 ? '' : first.slice(0, end);
      if (!roles.includes(named)) return;
      role = named;
      holders.set(named, (holders.get(named) ?? 0) + 1);
      notify();
    };
    s.on('data', onData);
    s.on('error', () => {});
    s.on('close', () => {
      held.delete(s);
      if (role) {
        holders.set(role, holders.get(role)! - 1);
        notify();
      }
    });
  });
  const changed = (signal?: AbortSignal) =>
    new Promise<void>((done) => {
      if (signal?.aborted) return done();
      const finish = () => {
        signal?.removeEventListener('abort', finish);
        done();
      };
      waiters.push(finish);
      signal?.addEventListener('abort', finish, { once: true });
    });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      // Not a reason to keep the loop alive: it exits when its work is done, dropping the line.
      server.unref();
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of held) s.destroy();
            server.close(() => done());
          }),
        down: () => [...holders].filter(([, n]) => n === 0).map(([r]) => r).sort(),
        changed,
        started: async (signal, timeoutMs, only) => {
          const missing = () => roles.filter((r) => (!only || only.includes(r)) && !holders.has(r));
          const until = Date.now() + timeoutMs;
          while (missing().length && !signal.aborted && Date.now() < until) {
            const timer = new AbortController();
            const t = setTimeout(() => timer.abort(), until - Date.now());
            await changed(AbortSignal.any([signal, timer.signal]));
            clearTimeout(t);
          }
          // One that never came is down from now on, like one that died: the run holds until it serves.
          const never = missing();
          if (!signal.aborted) for (const r of never) holders.set(r, 0);
          return never;
        },
      });
    });
  });
}

export type WatchOptions = {
  /** How long to wait for the loop to start listening (the loop container starts last). */
  waitMs?: number;
  pollMs?: number;
  /** Called once, when the loop is gone (or never came). */
  onLost: (why: string) => void;
  onConnected?: () => void;
  /** Sent as the first line: the container's role, so the loop knows who holds the line. */
  role?: string;
  /** The role is sent once this resolves (the container serves); the connection is made before. */
  ready?: Promise<void>;
};

/** The other containers' side: connect once the socket exists; report when the line drops. */
export function watchLifeline(path: string, o: WatchOptions): { stop(): void } {
  const waitUntil = Date.now() + (o.waitMs ?? 300_000);
  // The loop starts beside the others and waits for them before its first tick: look often (a
  // failed connect costs nothing), from 10 ms up to pollMs.
  const every = o.pollMs ?? 50;
  let pollMs = Math.min(every, 10);
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let socket: Socket | undefined;
  const lost = (why: string) => {
    if (stopped) return;
    stopped = true;
    o.onLost(why);
  };
  const attempt = () => {
    if (stopped) return;
    const s = connect(path);
    s.once('connect', () => {
      socket = s;
      const role = o.role;
      if (role) void (o.ready ?? Promise.resolve()).then(() => !s.destroyed && s.write(`${role}\n`));
      o.onConnected?.();
      s.on('data', () => {});
      s.once('close', () => lost('the loop has stopped'));
    });
    s.once('error', () => {
      s.destroy();
      if (socket) return; // 'close' follows and reports it
      if (Date.now() > waitUntil) lost(`the loop never started listening on ${path}`);
      else {
        timer = setTimeout(attempt, pollMs);
        pollMs = Math.min(pollMs * 2, every);
      }
    });
  };
  attempt();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.destroy();
    },
  };
}

let markReady: () => void = () => {};
const ready = new Promise<void>((r) => (markReady = r));
/** A pod role serves now (its socket or port listens): its lifeline names it to the loop. */
export function roleReady(): void {
  markReady();
}

/**
 * Wires the lifeline for a pod role from `PEERS_LIFELINE` (set only by the pod spec): the loop
 * holds it; the runner, sidecars and model server stop with SIGTERM when it drops (and exit
 * outright if the graceful stop has not ended the process GRACE_MS later).
 */
export async function startLifelineForRole(command: string | undefined, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const path = env[LIFELINE_ENV];
  if (!path) return;
  if (command === 'loop') {
    // The roles of this pod the loop watches (pod-spec.ts sets them).
    loopLifeline = await holdLifeline(path, (env[POD_ROLES_ENV] ?? '').split(',').filter(Boolean));
    return;
  }
  if (!command || !['runner', 'sidecar', 'model-server'].includes(command)) return;
  watchLifeline(path, {
    role: env[ROLE_ENV],
    ready,
    onLost: (why) => {
      log(`peers ${command}: ${why}; stopping`);
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.exit(0), GRACE_MS).unref();
    },
  });
}

const GRACE_MS = 10_000;

/**
 * The host's side (`peers down`): a connection to the loop's lifeline, to learn the moment the loop
 * process has exited (the kernel closes the line then, after everything the loop saved). A line
 * the loop refuses (every slot taken, by a peer's flood) says so before it closes, so it is never
 * taken for an exit. Null when there is no loop listening.
 */
export async function loopExitWatch(path: string): Promise<{ exited(timeoutMs: number): Promise<'exited' | 'refused' | 'timeout'>; close(): void } | null> {
  const s = connect(path);
  let said = '';
  s.on('data', (b: Buffer) => (said += b.toString('latin1').slice(0, 64)));
  const closed = new Promise<'exited' | 'refused'>((r) => s.once('close', () => r(said ? 'refused' : 'exited')));
  const opened = await new Promise<boolean>((r) => {
    s.once('connect', () => r(true));
    s.once('error', () => r(false));
  });
  s.on('error', () => {});
  if (!opened) {
    s.destroy();
    return null;
  }
  return {
    exited: async (timeoutMs) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const how = await Promise.race([closed, timeout]);
      clearTimeout(timer);
      return how;
    },
    close: () => s.destroy(),
  };
}
