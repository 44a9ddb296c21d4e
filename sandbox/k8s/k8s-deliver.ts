/**
 * What a Kubernetes run starts from, made on the host exactly as `peers up` makes it for podman
 * (sandbox/up.ts and sandbox/prepare-run.ts: the fingerprint of the user's repository, the run clone and the trusted mirror in
 * the state dir, the results branch, the budget policy, a rehearsal's scenario), then streamed as
 * one verified archive into the run Pod's init container (delivery.ts). The state dir is what the
 * pod spec binds (k8s-plan.ts), so the delivered tree is the state claim the containers mount.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { observedHead, RUN_BASE_REF } from '../../src/git/observer.ts';
import { writeRunBudget } from '../../src/budget/run-budget.ts';
import { PeersError } from '../../src/cli/errors.ts';
import { statePaths } from '../../src/state/paths.ts';
import { writeRehearsal } from '../rehearsal.ts';
import { prepareRun } from '../prepare-run.ts';
import type { UpOptions } from '../up-options.ts';
import { deliveryStream, deliveryTempPath, packDelivery } from './delivery.ts';
import type { K8sPlan } from './k8s-plan.ts';
import { execText, type PodExec } from './pod-exec.ts';
import type { PackSource } from './tar-tree.ts';
import { INIT_CONTAINER, unpackCommand } from './transport.ts';

/**
 * Left out of the delivery: what the host alone uses (its lock, this target's scratch dir, the
 * podman console log), what the pod remakes (the mirror's staging repository, whose alternates
 * name a host path; gate checkouts), and the sidecars' run history, which the sidecar Pods write
 * on the claim from their start and must not have replaced under them.
 */
export const DELIVERY_EXCLUDES = ['run.lock', 'k8s', 'loop.log', 'children.json', 'run/stage.git', 'run/checkouts', 'sidecars'];

export function deliverySources(stateDir: string): PackSource[] {
  return [{ dir: stateDir, as: 'state', exclude: DELIVERY_EXCLUDES }];
}

/** Makes the run's state on the host (as `peers up` does); returns the commit the run started from. */
export function prepareK8sState(repo: string, plan: Pick<K8sPlan, 'stateDir' | 'key' | 'budget'>, o: Pick<UpOptions, 'progress' | 'prepareClone'> & { rehearsalText?: string }): string {
  const paths = statePaths(plan.stateDir);
  prepareRun(repo, paths, plan.key, o as UpOptions);
  if (o.rehearsalText !== undefined) writeRehearsal(plan.stateDir, o.rehearsalText);
  writeRunBudget(plan.budget);
  const base = observedHead(paths.mirror, RUN_BASE_REF);
  if (!base) throw new PeersError(`the run's mirror at ${paths.mirror} has no base commit`, { hint: `move ${paths.run} away to start a new run from your HEAD` });
  return base;
}

/** Packs the state dir and streams it into the run Pod's init container, which moves it into place. */
export async function deliverRun(exec: PodExec, plan: Pick<K8sPlan, 'stateDir' | 'names'>, base: string, progress: (l: string) => void): Promise<void> {
  const file = deliveryTempPath(join(plan.stateDir, 'k8s'));
  try {
    const delivery = await packDelivery(deliverySources(plan.stateDir), file);
    progress(`streaming the run (its clone, mirror and control plane: ${(delivery.bytes / 1048576).toFixed(1)} MiB) into the cluster`);
    await execText(exec, INIT_CONTAINER, unpackCommand(plan.names.stateClaim, base), 'delivering the run', { stdin: deliveryStream(delivery) });
  } finally {
    rmSync(file, { force: true });
  }
}
