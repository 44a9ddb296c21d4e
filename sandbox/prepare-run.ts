/**
 * What `up` does to prepare a run before podman (sandbox/up.ts; the k8s driver does the same):
 * adopt the control-plane snapshot, fingerprint the user's repository for `down` to compare, make
 * or reuse the run clone and the trusted mirror, and publish the run's branch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adoptControlPlane, VERIFY_REPORT } from '../src/config/control-snapshot.ts';
import type { StatePaths } from '../src/state/paths.ts';
import { loadState } from '../src/state/state-store.ts';
import { runBranch } from './publish-if-run.ts';
import { describePublish, publishRunBranch, type PublishResult } from './publish-branch.ts';
import { fingerprintRepo, saveFingerprint } from './repo-fingerprint.ts';
import { prepareRunClone } from './run-clone.ts';
import type { UpOptions } from './up-options.ts';

/** Where `up` records the user's repository as it was, for `down` to compare. */
export function fingerprintPath(paths: StatePaths): string {
  return join(paths.dir, 'user-repo-fingerprint.json');
}

/** Adopts the control plane for this run (a refusal changes nothing); the state's digest before, for the decision. */
export function adoptRunControlPlane(repo: string, paths: StatePaths, o: Pick<UpOptions, 'acceptChanges' | 'progress'> & { command?: string }): { digestBefore: string | null } {
  // Until a loop has saved a state, no run has started from the snapshot (an `up` refused before
  // one, for a missing key or image, left it): there is nothing to resume, so nothing to confirm.
  const adopted = adoptControlPlane(repo, paths.snapshotDir, { accept: (o.acceptChanges ?? false) || !existsSync(paths.state), command: o.command ?? 'peers up' });
  // VERIFY.md is `peers verify`'s report, taken along without a word (control-snapshot.ts).
  const said = adopted.adopted.filter((e) => e.path !== VERIFY_REPORT);
  if (said.length) o.progress(`adopted the changed control plane: ${said.map((e) => `${e.path} ${e.change}`).join(', ')}`);
  return { digestBefore: loadState(paths.state)?.config_digest ?? null };
}

/**
 * Everything `up` does before podman, after the control plane: the fingerprint of the user's
 * repository as it is now (`down` compares against it), the run clone and mirror, and the results branch.
 */
export function prepareRun(repo: string, paths: StatePaths, key: string, o: UpOptions): { clone: string; results: PublishResult } {
  saveFingerprint(fingerprintPath(paths), fingerprintRepo(repo));
  const clone = prepareRunClone(repo, paths, o.progress);
  for (const n of clone.notes) o.progress(n);
  o.prepareClone?.(paths.clone);
  const results = publishRunBranch(repo, paths, runBranch(paths, key, repo));
  o.progress(describePublish(results));
  return { clone: paths.clone, results };
}
