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
 */
import { existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export const LIFELINE_ENV = 'PEERS_LIFELINE';
export const LIFELINE_DIR_NAME = 'lifeline';
export const LIFELINE_SOCKET_NAME = 'loop.sock';
const MAX_HOLDERS = 32;

export type Lifeline = { close(): Promise<void> };

/** The loop's side: listen, accept up to MAX_HOLDERS, never read or answer (nothing to parse). */
export function holdLifeline(path: string): Promise<Lifeline> {
  if (existsSync(path)) unlinkSync(path); // a socket left by an earlier loop of this pod
  const held = new Set<Socket>();
  const server: Server = createServer((s) => {
    if (held.size >= MAX_HOLDERS) {
      s.destroy();
      return;
    }
    held.add(s);
    s.on('data', () => {}); // anything sent is ignored
    s.on('error', () => {});
    s.on('close', () => held.delete(s));
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
};

/** The other containers' side: connect once the socket exists; report when the line drops. */
export function watchLifeline(path: string, o: WatchOptions): { stop(): void } {
  const waitUntil = Date.now() + (o.waitMs ?? 300_000);
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
      o.onConnected?.();
      s.on('data', () => {});
      s.once('close', () => lost('the loop has stopped'));
    });
    s.once('error', () => {
      s.destroy();
      if (socket) return; // 'close' follows and reports it
      if (Date.now() > waitUntil) lost(`the loop never started listening on ${path}`);
      else timer = setTimeout(attempt, o.pollMs ?? 200);
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

/**
 * Wires the lifeline for a pod role from `PEERS_LIFELINE` (set only by the pod spec): the loop
 * holds it; the runner, sidecars and model server stop with SIGTERM when it drops (and exit
 * outright if the graceful stop has not ended the process GRACE_MS later).
 */
export async function startLifelineForRole(command: string | undefined, env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  const path = env[LIFELINE_ENV];
  if (!path) return;
  if (command === 'loop') {
    await holdLifeline(path);
    return;
  }
  if (!command || !['runner', 'sidecar', 'model-server'].includes(command)) return;
  watchLifeline(path, {
    onLost: (why) => {
      log(`peers ${command}: ${why}; stopping`);
      process.kill(process.pid, 'SIGTERM');
      setTimeout(() => process.exit(0), GRACE_MS).unref();
    },
  });
}

const GRACE_MS = 10_000;
