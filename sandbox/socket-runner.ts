/**
 * `PeerRunner` (src/proc/peer-runner.ts) over the runner protocol: the loop container runs peer
 * CLIs and gates in another container by talking to that container's `peers runner` socket.
 * The result has exactly the shape `supervise` returns on the host, so the loop cannot tell (and
 * need not care) whether a process ran locally or in the workspace.
 */
import { connect } from 'node:net';
import type { PeerInvocation, PeerRunner } from '../src/proc/peer-runner.ts';
import type { SupervisedResult } from '../src/proc/supervise.ts';
import { encode, LineDecoder, type RunRequest, type ServerMessage } from './runner-protocol.ts';
import { readRunnerKey } from './runner-key.ts';
import { authRequest, opener, requestNonce } from './runner-seal.ts';

/** Added to the absolute timeout before the client gives up on a silent runner by itself. */
const CLIENT_MARGIN_MS = 10_000;

function failed(message: string, started: number): SupervisedResult {
  return {
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: Date.now() - started,
    endedBy: 'spawn-error',
    spawnError: message,
  };
}

export class SocketRunner implements PeerRunner {
  /**
   * `ownEnv`: the loop container's own environment. Entries of the invocation identical to it are
   * not sent: the runner container's environment is the base there (proxy and vendor URLs), and
   * the loop's own settings (its state dir, its runner sockets) are none of the peer's business.
   */
  constructor(
    readonly socketPath: string,
    private readonly ownEnv: NodeJS.ProcessEnv = {},
    /** The runner's per-run key (runner-key.ts), read for every request: only sealed answers are taken (runner-seal.ts). */
    private readonly key?: () => Buffer,
  ) {}

  run(inv: PeerInvocation, signal?: AbortSignal): Promise<SupervisedResult> {
    const started = Date.now();
    let key: Buffer | undefined;
    try {
      key = this.key?.();
    } catch (e) {
      return Promise.resolve(failed(`runner key unreadable: ${(e as Error).message}`, started));
    }
    const req: RunRequest = {
      type: 'run',
      argv: inv.argv,
      env: Object.fromEntries(Object.entries(inv.env).filter(([k, v]) => this.ownEnv[k] !== v)),
      cwd: inv.cwd,
      stdin: inv.stdin,
      limits: { idleTimeoutMs: inv.idleTimeoutMs, absoluteTimeoutMs: inv.absoluteTimeoutMs, killGraceMs: inv.killGraceMs, maxStreamBytes: inv.maxStreamBytes },
      ...(key ? { nonce: requestNonce() } : {}),
    };
    // With a key, the line carries the loop's proof that it made the request (runner-seal.ts).
    const requestLine = key ? authRequest(key, encode(req).slice(0, -1)) : encode(req).slice(0, -1);
    const open = key ? opener(key, requestLine) : null;
    return new Promise((resolve) => {
      const sock = connect(this.socketPath);
      sock.setEncoding('utf8');
      let settled = false;
      let killedByCallback = false;
      const finish = (r: SupervisedResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        signal?.removeEventListener('abort', onAbort);
        sock.destroy();
        resolve(r);
      };
      const kill = (reason: string) => {
        if (!sock.destroyed) sock.write(encode({ type: 'kill', reason }));
      };
      const onAbort = () => kill('aborted');
      // If the runner itself hangs, dropping the connection makes it kill the process (see server).
      const guard = setTimeout(
        () => finish({ ...failed('runner did not report an exit in time', started), endedBy: 'absolute-timeout' }),
        inv.absoluteTimeoutMs + inv.killGraceMs + CLIENT_MARGIN_MS,
      );
      const decoder = new LineDecoder((line) => {
        let msg: ServerMessage;
        if (open) {
          try {
            msg = open(line);
          } catch (e) {
            // Fail closed: whatever answers at the socket path is not this run's runner (or not alone).
            return finish(failed(`runner identity check failed at ${this.socketPath}: ${(e as Error).message}; the answer is not taken`, started));
          }
        } else {
          try {
            msg = JSON.parse(line) as ServerMessage;
          } catch {
            return finish(failed(`runner sent a malformed message: ${line.slice(0, 200)}`, started));
          }
        }
        if (msg.type === 'output') {
          if (inv.onOutput?.(msg.stream, msg.text) === 'kill' && !killedByCallback) {
            killedByCallback = true;
            kill('callback');
          }
        } else if (msg.type === 'exit') {
          const r = msg.result;
          finish(killedByCallback && r.endedBy === 'aborted' ? { ...r, endedBy: 'killed-by-callback' } : r);
        } else if (msg.type === 'error') {
          finish(failed(`runner: ${msg.message}`, started));
        }
      });
      sock.on('connect', () => {
        sock.write(`${requestLine}\n`);
        if (signal?.aborted) onAbort();
      });
      sock.on('data', (chunk: string) => {
        // A line past the protocol's largest message (an impostor at the path, SECURITY.md "Runner
        // sockets") fails the request at once and closes the socket: thrown here, it was an uncaught
        // error, the decoder kept every byte it was sent, and the turn waited out its timeout.
        try {
          decoder.push(chunk);
        } catch (e) {
          finish(failed(`runner at ${this.socketPath} sent a message ${(e as Error).message.replace(/^runner message /, '')}; the answer is not taken`, started));
        }
      });
      sock.on('error', (e) => finish(failed(`runner at ${this.socketPath} unreachable: ${e.message}`, started)));
      sock.on('close', () => finish(failed(`runner at ${this.socketPath} closed the connection before reporting an exit`, started)));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * The runner the loop should use: inside the pod, `peers up` sets PEERS_RUNNER_WORKSPACE to the
 * workspace runner's socket, so peer CLIs run in the workspace container, not in the loop's.
 * Outside the pod (host runs, tests) it is undefined and the loop keeps its local runner.
 */
export function peerRunnerFromEnv(env: NodeJS.ProcessEnv = process.env): PeerRunner | undefined {
  return env.PEERS_RUNNER_WORKSPACE ? new SocketRunner(env.PEERS_RUNNER_WORKSPACE, env, runnerKeyFromEnv(env, 'workspace')) : undefined;
}

/** The loop's key for a runner role, from the file `peers up` writes (PEERS_RUNNER_KEYS), or none outside the pod. */
export function runnerKeyFromEnv(env: NodeJS.ProcessEnv, role: string): (() => Buffer) | undefined {
  const file = env.PEERS_RUNNER_KEYS;
  return file ? () => readRunnerKey(file, role) : undefined;
}
