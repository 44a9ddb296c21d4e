/**
 * The runner agent (`peers runner --socket PATH`): listens on a filesystem Unix socket (mode 0600,
 * in a directory shared only with the loop) and runs each requested process under `supervise`,
 * streaming output back. See runner-protocol.ts for the wire format.
 */
import { chmodSync, existsSync, lstatSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { REAP_ROOT_ENV, reapLeftovers } from '../src/proc/leftover-sweep.ts';
import { supervise, type SupervisedResult } from '../src/proc/supervise.ts';
import { ClientMessageSchema, encode, LineDecoder, type RunRequest, type ServerMessage } from './runner-protocol.ts';
import { openRequest, sealer } from './runner-seal.ts';

export type RunnerServer = { server: Server; close: () => Promise<void>; active: () => number };

/** Live output streamed per invocation before the runner stops streaming (the final result still
 *  carries supervise's head + tail). Bounds the memory a flooding process can pin in the socket. */
export const DEFAULT_MAX_STREAMED_BYTES = 64 * 1024 * 1024;

export type RunnerServerOptions = {
  socketPath: string;
  baseEnv?: Record<string, string>;
  log?: (line: string) => void;
  maxStreamedBytes?: number;
  /**
   * The pod's runners: before and after every request, every process of the container that no
   * live request accounts for is killed (src/proc/leftover-sweep.ts), so a daemon one gate run
   * left cannot tamper with the next checkout, nor one peer's process act in another peer's turn;
   * and after every request a socket path some process replaced (an impostor answering the loop
   * for the next peer) is taken back. Only for a container's main process.
   */
  reapLeftovers?: boolean;
  /**
   * The pod's workspace runner: after every peer turn (a request with `stopLeftovers`), every
   * process of the container that no live request accounts for is killed, whatever its
   * environment, so nothing a turn left commits in the next peer's turn (src/proc/marked-leftovers.ts
   * finds only the processes that kept the turn's mark). Between turns the peers' processes may run
   * (a request the loop makes meanwhile sweeps nothing). Only for a container's main process.
   */
  reapAfterTurns?: boolean;
  /** The per-run key (runner-key.ts): every message is sealed with it (runner-seal.ts). */
  key?: Buffer;
};

export async function startRunnerServer(opts: RunnerServerOptions): Promise<RunnerServer> {
  const log = opts.log ?? (() => {});
  // A stale socket from a previous container life is replaced; anything else at the path is not.
  if (existsSync(opts.socketPath)) {
    if (!lstatSync(opts.socketPath).isSocket()) throw new Error(`${opts.socketPath} exists and is not a socket`);
    unlinkSync(opts.socketPath);
  }
  const aborts = new Set<AbortController>();
  const cap = opts.maxStreamedBytes ?? DEFAULT_MAX_STREAMED_BYTES;
  const servers: Server[] = [];
  let listens = 0;
  /**
   * Listens at the socket path: on a fresh name renamed over it, so the path always names a
   * listening socket, ours (a connection made meanwhile reaches the old one or the new one).
   */
  const listen = async () => {
    const fresh = `${opts.socketPath}.${process.pid}-${++listens}`;
    rmSync(fresh, { force: true }); // a name left by an earlier life of this container's runner
    const server = createServer((sock) => handleConnection(sock, opts.baseEnv ?? currentEnv(), aborts, log, cap, settle, opts.key, afterTurn));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(fresh, () => resolve());
    });
    chmodSync(fresh, 0o600);
    renameSync(fresh, opts.socketPath);
    for (const old of servers.splice(0)) old.close();
    servers.push(server);
    return server;
  };
  const reap = (when: string) => {
    try {
      const killed = reapLeftovers();
      if (killed) log(`${when}: killed ${killed} leftover process${killed === 1 ? '' : 'es'} no request accounts for`);
    } catch (e) {
      log(`${when}: ${(e as Error).message}`);
      throw e;
    }
  };
  // What a peer turn left, whatever its environment: gone before its result goes out.
  const afterTurn = opts.reapAfterTurns || opts.reapLeftovers ? () => reapLeftovers() : undefined;
  const settle: Settle | undefined = opts.reapLeftovers
    ? {
        before: () => reap('before a request'),
        // Before the result goes out (the loop's next request follows it): what the request left is
        // gone, and the socket path is ours again, whatever a process put there meanwhile.
        after: async () => {
          reap('after a request');
          await listen();
        },
      }
    : undefined;
  const server = await listen();
  log(`runner listening on ${opts.socketPath}`);
  return {
    server,
    active: () => aborts.size,
    close: async () => {
      for (const a of aborts) a.abort();
      await Promise.all(servers.map((sv) => new Promise<void>((r) => sv.close(() => r()))));
      // Running supervisions resolve after their kill grace; give them the chance to report.
      while (aborts.size) await Bun.sleep(20);
    },
  };
}

/** A peer turn's result with what the container sweep stopped after it (or why it could not) added. */
function sweptAfterTurn(result: SupervisedResult, sweep: () => number, log: (l: string) => void): SupervisedResult {
  try {
    const n = sweep();
    if (n) log(`after a turn: killed ${n} leftover process${n === 1 ? '' : 'es'} no request accounts for`);
    return n ? { ...result, leftoversStopped: (result.leftoversStopped ?? 0) + n } : result;
  } catch (e) {
    return { ...result, leftoversError: (e as Error).message };
  }
}

function currentEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

type Settle = { before: () => void; after: () => Promise<void> };

function handleConnection(sock: Socket, baseEnv: Record<string, string>, aborts: Set<AbortController>, log: (l: string) => void, cap: number, settle?: Settle, key?: Buffer, afterTurn?: () => number): void {
  sock.setEncoding('utf8');
  // With a key, each message is sealed for the request line it answers (the connection's first).
  let seal: ((m: ServerMessage) => string) | undefined;
  const send = (m: ServerMessage) => {
    if (key && !seal) seal = sealer(key, '');
    if (!sock.destroyed) sock.write(seal ? seal(m) : encode(m));
  };
  let abort: AbortController | undefined;
  let started = false;
  let first = true;
  const decoder = new LineDecoder((received) => {
    let line = received;
    if (first && key) {
      seal = sealer(key, received);
      // Only the loop's requests run (runner-seal.ts): not one the code we run makes of its own.
      try {
        line = openRequest(key, received);
      } catch (e) {
        first = false;
        send({ type: 'error', message: `refusing the request: ${(e as Error).message}` });
        sock.end();
        return;
      }
    }
    first = false;
    let msg;
    try {
      msg = ClientMessageSchema.parse(JSON.parse(line));
    } catch (e) {
      send({ type: 'error', message: `bad request: ${(e as Error).message.slice(0, 300)}` });
      if (!started) sock.end();
      return;
    }
    if (msg.type === 'kill') {
      abort?.abort();
      return;
    }
    if (started) {
      send({ type: 'error', message: 'one invocation per connection' });
      return;
    }
    started = true;
    try {
      settle?.before();
    } catch (e) {
      // Fail closed: a request never runs beside what an earlier one left.
      send({ type: 'error', message: `refusing to run: ${(e as Error).message}` });
      sock.end();
      return;
    }
    abort = new AbortController();
    aborts.add(abort);
    void run(msg, withReapRoot({ ...baseEnv, ...msg.env }, settle !== undefined), abort, send, log, cap, afterTurn, async () => {
      aborts.delete(abort!);
      await settle?.after().catch((e) => log(`after a request: ${(e as Error).message}`));
    }).finally(() => {
      aborts.delete(abort!);
      sock.end();
    });
  });
  sock.on('data', (chunk: string) => {
    try {
      decoder.push(chunk);
    } catch (e) {
      send({ type: 'error', message: (e as Error).message });
      abort?.abort();
      sock.destroy();
    }
  });
  // The loop went away (crash, `peers down`): its processes must not outlive it.
  sock.on('close', () => abort?.abort());
  sock.on('error', () => abort?.abort());
}

/**
 * A sweeping runner (the pod's) tells its requests its pid as REAP_ROOT_ENV: the gates probe kills
 * what one gate left before the next gate runs (sandbox/gates-remote.ts), keeping everything this
 * runner's live requests account for. Set last, so no request can choose it, and removed where
 * this runner does not sweep: on a host the sweep would kill every process of the user.
 */
function withReapRoot(env: Record<string, string>, sweeps: boolean): Record<string, string> {
  const out = { ...env };
  delete out[REAP_ROOT_ENV];
  if (sweeps) out[REAP_ROOT_ENV] = String(process.pid);
  return out;
}

async function run(req: RunRequest, env: Record<string, string>, abort: AbortController, send: (m: ServerMessage) => void, log: (l: string) => void, cap: number, afterTurn: (() => number) | undefined, settled: () => Promise<void>): Promise<void> {
  log(`run ${JSON.stringify(req.argv.slice(0, 3))} in ${req.cwd}`);
  send({ type: 'started' });
  let streamed = 0;
  const result = await supervise({
    argv: req.argv,
    cwd: req.cwd,
    env,
    stdin: req.stdin,
    ...req.limits,
    stopLeftovers: req.stopLeftovers,
    signal: abort.signal,
    onOutput: (stream, text) => {
      if (streamed > cap) return;
      streamed += text.length;
      if (streamed > cap) send({ type: 'streaming-stopped', afterBytes: cap });
      else send({ type: 'output', stream, text });
    },
  });
  log(`exit ${result.endedBy} code=${result.exitCode} signal=${result.signal}`);
  await settled();
  send({ type: 'exit', result: req.stopLeftovers && afterTurn ? sweptAfterTurn(result, afterTurn, log) : result });
}
