/**
 * The runner agent (`peers runner --socket PATH`): listens on a filesystem Unix socket (mode 0600,
 * in a directory shared only with the loop) and runs each requested process under `supervise`,
 * streaming output back. See runner-protocol.ts for the wire format.
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { reapLeftovers } from '../src/proc/leftover-sweep.ts';
import { supervise } from '../src/proc/supervise.ts';
import { ClientMessageSchema, encode, LineDecoder, type RunRequest, type ServerMessage } from './runner-protocol.ts';

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
   * The setup and gates containers' runners: before and after every request, every process of the
   * container that no live request accounts for is killed (src/proc/leftover-sweep.ts), so a
   * daemon one gate run left cannot tamper with the next checkout. Only for a container's main process.
   */
  reapLeftovers?: boolean;
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
  const reap = opts.reapLeftovers
    ? (when: string) => {
        const killed = reapLeftovers();
        if (killed) log(`${when}: killed ${killed} leftover process${killed === 1 ? '' : 'es'} no request accounts for`);
      }
    : undefined;
  const server = createServer((sock) => handleConnection(sock, opts.baseEnv ?? currentEnv(), aborts, log, cap, reap));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => resolve());
  });
  chmodSync(opts.socketPath, 0o600);
  log(`runner listening on ${opts.socketPath}`);
  return {
    server,
    active: () => aborts.size,
    close: async () => {
      for (const a of aborts) a.abort();
      await new Promise<void>((r) => server.close(() => r()));
      // Running supervisions resolve after their kill grace; give them the chance to report.
      while (aborts.size) await Bun.sleep(20);
    },
  };
}

function currentEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

function handleConnection(sock: Socket, baseEnv: Record<string, string>, aborts: Set<AbortController>, log: (l: string) => void, cap: number, reap?: (when: string) => void): void {
  sock.setEncoding('utf8');
  const send = (m: ServerMessage) => {
    if (!sock.destroyed) sock.write(encode(m));
  };
  let abort: AbortController | undefined;
  let started = false;
  const decoder = new LineDecoder((line) => {
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
      reap?.('before a request');
    } catch (e) {
      // Fail closed: a request never runs beside what an earlier one left.
      send({ type: 'error', message: `refusing to run: ${(e as Error).message}` });
      sock.end();
      return;
    }
    abort = new AbortController();
    aborts.add(abort);
    void run(msg, baseEnv, abort, send, log, cap).finally(() => {
      aborts.delete(abort!);
      try {
        reap?.('after a request');
      } catch (e) {
        log(`after a request: ${(e as Error).message}`);
      }
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

async function run(req: RunRequest, baseEnv: Record<string, string>, abort: AbortController, send: (m: ServerMessage) => void, log: (l: string) => void, cap: number): Promise<void> {
  log(`run ${JSON.stringify(req.argv.slice(0, 3))} in ${req.cwd}`);
  send({ type: 'started' });
  let streamed = 0;
  const result = await supervise({
    argv: req.argv,
    cwd: req.cwd,
    env: { ...baseEnv, ...req.env },
    stdin: req.stdin,
    ...req.limits,
    signal: abort.signal,
    onOutput: (stream, text) => {
      if (streamed > cap) return;
      streamed += text.length;
      if (streamed > cap) send({ type: 'streaming-stopped', afterBytes: cap });
      else send({ type: 'output', stream, text });
    },
  });
  log(`exit ${result.endedBy} code=${result.exitCode} signal=${result.signal}`);
  send({ type: 'exit', result });
}
