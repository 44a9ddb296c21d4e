/**
 * How the loop runs one peer turn. `PeerRunner` is the seam: a local child process now
 * (`LocalPeerRunner`, supervised by src/proc/supervise.ts), the pod's socket runner later.
 */
import { supervise, type SuperviseOptions, type SupervisedResult } from '../proc/supervise.ts';

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
      signal,
    });
  }
}
