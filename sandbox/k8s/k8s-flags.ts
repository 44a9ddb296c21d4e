/**
 * The `peers up` flags a run on Kubernetes cannot honour, refused by name before anything is
 * applied (pure): each error says what the flag would need that the cluster's run does not have,
 * and what to do instead. A flag is never accepted and then left without effect.
 */
import { InputError } from '../../src/cli/errors.ts';

export type UpFlagsForK8s = { fresh?: boolean; cloneOnly?: boolean; maxRuntime?: string; dryRun?: string; target?: string };

export function refuseUnhonouredK8sFlags(f: UpFlagsForK8s): void {
  if (f.dryRun === 'podman' && f.target === 'k8s') {
    throw new InputError('--dry-run podman prints a podman pod, but --target k8s asks for a run on Kubernetes', { hint: 'peers up --dry-run k8s prints what --target k8s applies' });
  }
  if (f.fresh) {
    throw new InputError("--fresh is not available with --target k8s: the old run's state is on the cluster's state volume, which peers does not archive", {
      hint: 'peers down --purge deletes the run and its volumes on the cluster (peers report reads its history first); then peers up --target k8s starts over from your HEAD',
    });
  }
  if (f.maxRuntime !== undefined) {
    throw new InputError("--max-runtime is not available with --target k8s: the cap is set in the operator's control file, and the run on the cluster reads it from its state volume, which nothing on this machine writes", {
      hint: 'set budget.max_runtime_s in .peers/config.yaml before the run starts on the cluster (a new run: peers down --purge, then peers up --target k8s)',
    });
  }
  if (f.cloneOnly) {
    throw new InputError('--clone-only is not available with --target k8s: the run clone is made on the cluster', { hint: 'peers up --dry-run k8s shows what would be applied' });
  }
}
