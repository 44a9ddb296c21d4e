/**
 * How the loop runs one peer turn. `PeerRunner` is the seam between the engine and where the peer
 * runs: a local child process (`LocalPeerRunner`, supervised by supervise.ts) or, in the pod, the
 * workspace's runner over its socket (sandbox/socket-runner.ts).
 */
import { supervise, type SuperviseOptions, type SupervisedResult } from './supervise.ts';

export type PeerInvocation = {
  peer: string;
  argv: string[];
  env: Record<string, string>;
  stdin?: string;
  cwd: string;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  killGraceMs: number;
  maxStreamBytes: number;
  onOutput?: SuperviseOptions['onOutput'];
  /** A peer turn: what it leaves running, also outside its process group, is stopped when it ends (marked-leftovers.ts). */
  stopLeftovers?: boolean;
};

export interface PeerRunner {
  run(inv: PeerInvocation, signal?: AbortSignal): Promise<SupervisedResult>;
}

export class LocalPeerRunner implements PeerRunner {
  run(inv: PeerInvocation, signal?: AbortSignal): Promise<SupervisedResult> {
    return supervise({
      argv: inv.argv,
      cwd: inv.cwd,
      env: inv.env,
      stdin: inv.stdin,
      idleTimeoutMs: inv.idleTimeoutMs,
      absoluteTimeoutMs: inv.absoluteTimeoutMs,
      killGraceMs: inv.killGraceMs,
      maxStreamBytes: inv.maxStreamBytes,
      onOutput: inv.onOutput,
      stopLeftovers: inv.stopLeftovers,
      signal,
    });
  }
}
