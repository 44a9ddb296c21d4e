/**
 * `peers logs` of a run on Kubernetes: the loop container's log through the API (follows it with
 * -f until the container ends or Ctrl-C), or with --egress the egress audit log on the state
 * volume, read in the reader container (older rotated half first, as on podman).
 */
import { writableTo } from '../../src/cli/writable-to.ts';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import { abortOnStopSignal } from '../../src/cli/stop-signal.ts';
import type { LogIO } from '../logs.ts';
import { ROTATED_SUFFIX } from '../../src/fs/size-capped-log.ts';
import { STATE_IN_CONTAINER } from '../pod-layout.ts';
import { openSession } from './k8s-session.ts';
import { RUN_POD_KIND } from './names.ts';
import { isRunning } from './pod-state.ts';
import { pullState } from './state-sync.ts';
import { READER_CONTAINER, STATE_FULL_EXCLUDES } from './transport.ts';

/**
 * `peers logs --peer NAME` of a run on Kubernetes: the turn logs are on the state volume; they
 * come home with the state (the reader sends it) and are read from there. Following a turn as it
 * is written would need the reader to stream the files: refused rather than followed from a copy.
 */
export async function bringPeerLogsHome(o: { repo: string; follow: boolean; env: NodeJS.ProcessEnv }): Promise<void> {
  if (o.follow) {
    throw new InputError('peers logs --peer NAME -f cannot follow a turn of a run on Kubernetes: its turn logs are on the cluster\'s state volume', {
      hint: 'peers logs -f follows the loop there; peers logs --peer NAME (without -f) shows the turns so far',
    });
  }
  const s = await openSession(o.repo, o.env);
  if (isRunning(s.runPod, READER_CONTAINER)) await pullState(s.exec, s.stateDir, STATE_FULL_EXCLUDES);
}

export async function followK8sLogs(o: { repo: string; follow: boolean; egress: boolean; io: LogIO }): Promise<number> {
  const s = await openSession(o.repo, o.io.env);
  const pod = s.names.pod(RUN_POD_KIND);
  if (!s.runPod) throw new PeersError(`no run Pod for this project in ${s.target.namespace} (not started, or removed by peers down)`, { hint: 'the run history stays in `peers report`' });
  if (!o.egress) {
    // Ctrl-C ends the stream (and the command), never the run.
    await abortOnStopSignal(o.io.signals, (signal) => s.cluster.logs(s.target.namespace, pod, 'loop', writableTo(o.io.stdout), { follow: o.follow, signal }));
    return 0;
  }
  {
    if (!isRunning(s.runPod, READER_CONTAINER)) throw new PeersError('the run Pod\'s reader container is not running: the audit log cannot be read', { hint: `kubectl -n ${s.target.namespace} describe pod ${pod}` });
    const log = `${STATE_IN_CONTAINER}/sidecars/egress/egress.jsonl`;
    const script = `cat ${log}${ROTATED_SUFFIX} 2>/dev/null; ${o.follow ? `exec tail -n +1 -F ${log}` : `cat ${log}`}`;
    const r = await s.exec(READER_CONTAINER, ['/bin/sh', '-c', script], { stdout: writableTo(o.io.stdout), stderr: writableTo(o.io.stderr) });
    return r.code;
  }
}
