/**
 * A project's run status on whichever target its run is: reconciled with its cluster for a run on
 * Kubernetes (sandbox/k8s/k8s-status.ts, loaded only for such a project), else with podman and the
 * state dir on this machine (sandbox/reconcile.ts). `status`, `ls`, `rm` and the dashboard ask here,
 * so the sandbox itself never reaches up into its k8s/ folder.
 */
import { existsSync } from 'node:fs';
import { localProjectStatus, type ProjectStatus } from '../sandbox/reconcile.ts';
import type { ProjectEntry } from '../sandbox/registry.ts';

export type { ProjectStatus } from '../sandbox/reconcile.ts';

/** `stateDirOverride` overrides the project's default state directory (`peers status --state-dir`). */
export async function projectStatus(p: ProjectEntry, env: NodeJS.ProcessEnv = process.env, stateDirOverride?: string): Promise<ProjectStatus> {
  if (p.kubernetes !== undefined && existsSync(p.path)) return (await import('../sandbox/k8s/k8s-status.ts')).k8sProjectStatus(p, env, stateDirOverride);
  return localProjectStatus(p, env, stateDirOverride);
}
