/**
 * Where a project runs when it runs on Kubernetes, kept in its projects-registry entry
 * (`kubernetes: { context, namespace, … }`) by `peers up --target k8s`, so `status`, `logs`,
 * `report`, `down` and `ls` reach the same cluster without being told again. Read fail-closed: an
 * entry that names a cluster but does not parse is an error, never "runs on podman".
 */
import { z } from 'zod';
import { InputError } from '../src/cli/errors.ts';
import { projectRegistryPath } from '../src/config/project-registry.ts';
import { listProjects, type ProjectEntry, updateRegistry } from './registry.ts';

export const K8sTargetSchema = z.strictObject({
  /** The kubeconfig context; absent: whatever context is current. */
  context: z.string().min(1).optional(),
  namespace: z.string().min(1),
  /** The commit the run started from (what the results branch counts from). */
  base: z.string().regex(/^[0-9a-f]{40,64}$/),
  /** The image the run's Pods run. */
  image: z.string().min(1),
  /** peers created the namespace (and `down --purge` may delete it). */
  created_namespace: z.boolean(),
});
export type K8sTarget = z.output<typeof K8sTargetSchema>;

export function k8sTargetOf(entry: ProjectEntry | undefined, env: NodeJS.ProcessEnv = process.env): K8sTarget | undefined {
  const raw = entry?.kubernetes;
  if (raw === undefined) return undefined;
  const r = K8sTargetSchema.safeParse(raw);
  if (!r.success) {
    throw new InputError(`the registry entry of ${entry!.path} names a Kubernetes run that does not parse: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
      location: { file: projectRegistryPath(env) },
      hint: 'fix or remove its "kubernetes" key',
    });
  }
  return r.data;
}

export async function recordK8sTarget(repo: string, target: K8sTarget | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await updateRegistry((ps) => {
    const p = ps.find((x) => x.path === repo);
    if (!p) return;
    if (target) p.kubernetes = target;
    else delete p.kubernetes;
  }, env);
}

/** The project's Kubernetes target, or undefined when it runs on podman. */
export function targetOfRepo(repo: string, env: NodeJS.ProcessEnv = process.env): K8sTarget | undefined {
  return k8sTargetOf(listProjects(env).find((p) => p.path === repo), env);
}

/**
 * A host-side command that cannot reach a run on Kubernetes (it writes the state dir on this
 * machine, which the cluster's run never reads) is refused for such a project, never run for show.
 */
export function refuseOnCluster(repo: string, o: { what: string; why: string; hint: string }, env: NodeJS.ProcessEnv = process.env): void {
  const t = targetOfRepo(repo, env);
  if (t) throw new InputError(`${o.what} is not available for a run on Kubernetes (namespace ${t.namespace}): ${o.why}`, { hint: o.hint });
}
