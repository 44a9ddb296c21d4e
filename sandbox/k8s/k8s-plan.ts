/**
 * The Kubernetes run of a project as data: the same pod spec `peers up` builds for podman
 * (planPod), told what each of its host paths is in a cluster, rendered as objects
 * (k8s-render.ts). `peers up --target k8s` applies the result; `--dry-run k8s` prints it.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { relative } from 'node:path';
import { InputError, PeersError } from '../../src/cli/errors.ts';
import { PEERS_VERSION } from '../../src/cli/version.ts';
import { KubernetesSchema, type KubernetesConfig } from '../../src/config/kubernetes-schema.ts';
import { stateDirFor, statePaths } from '../../src/state/paths.ts';
import { type K8sBind, type K8sObject, type K8sRunInputs, renderK8s } from './k8s-render.ts';
import { hostBinary, planPod, type PodPlanOptions } from '../pod-plan.ts';
import { RUNNER_ROLES } from '../pod-layout.ts';
import type { PodSpec } from '../pod-spec.ts';
import { RUNNER_KEY_BYTES } from '../runner-seal.ts';
import { rehearsalDir } from '../rehearsal.ts';
import { ANNOTATION_KEY, ANNOTATION_REPO, ANNOTATION_STARTED_BY, type K8sNames, k8sNames } from './names.ts';
import { egressPorts } from './network-policy.ts';
import { imageForBinary } from './peers-image.ts';

export type K8sTargetOptions = { context?: string; namespace?: string; registry?: string };
export type K8sPlan = {
  key: string;
  repo: string;
  stateDir: string;
  spec: PodSpec;
  names: K8sNames;
  namespace: string;
  context?: string;
  image: string;
  config: KubernetesConfig;
  /** Everything but the credentials' values (added at apply time). */
  inputs: K8sRunInputs;
  configPath: string;
  /** The run's budget policy, as planPod resolved it (`up` writes it into the state it delivers). */
  budget: Awaited<ReturnType<typeof planPod>>['budget'];
};

export async function planK8s(repo: string, o: Omit<PodPlanOptions, 'modelServerDir'> & K8sTargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<K8sPlan> {
  if (o.credentials === 'oauth-file') {
    throw new InputError('--credentials oauth-file cannot run on Kubernetes: a refresh token is single-use, and a cluster cannot write the refreshed login back to your machine, so one of the two logins would be lost', {
      hint: 'use API keys (ANTHROPIC_API_KEY, OPENAI_API_KEY) with --target k8s',
    });
  }
  const modelInPod = o.upstream === 'model-server';
  const { project, key, stateDir, spec, budget } = await planPod(repo, { ...o, runnerKeys: true, ...(modelInPod ? { modelServerDir: rehearsalDir(stateDirFor(repo, env)) } : {}) }, env);
  const config = project.config.kubernetes ?? KubernetesSchema.parse({});
  const names = k8sNames(key);
  const namespace = o.namespace ?? config.namespace ?? names.defaultNamespace;
  const registry = o.registry ?? config.registry;
  if (!registry) {
    throw new InputError('no image registry for the Kubernetes run', {
      location: { file: project.configPath },
      hint: 'push the peers image with `peers image build --push REGISTRY`, then pass --registry REGISTRY (or set kubernetes.registry in .peers/config.yaml)',
    });
  }
  const binary = hostBinary();
  const image = await imageForBinary(registry, binary);
  const inputs = k8sRunInputs({
    key,
    repo,
    spec,
    stateDir,
    binary,
    budgetFile: budget.hostPath,
    image,
    namespace,
    config,
    allow: [...new Set([...(project.config.egress?.allow ?? []), ...o.allow])],
    vendorHosts: !modelInPod,
    annotations: { [ANNOTATION_STARTED_BY]: `${safeUser()}@${hostname()}`, 'peers.dev/version': PEERS_VERSION },
  });
  return { key, repo, stateDir, spec, names, namespace, context: o.context ?? config.context, image, config, inputs, configPath: project.configPath, budget };
}

/**
 * What each host path the pod spec binds is in the cluster (pure). The peers binary is in the
 * image. Everything else a container binds lives in the run's state dir (the run clone, the
 * trusted mirror, the control-plane snapshot, the operator's controls, the budget policy, the
 * rehearsal's model-server dir), which `up` delivers onto the state claim (delivery.ts): each is
 * that claim at the same relative path. A bind outside the state dir is refused: a cluster has no
 * host paths to offer, and none is ever mounted.
 */
export function stateBinds(spec: PodSpec, o: { stateDir: string; binary: string; stateClaim: string; files: string[] }): Record<string, K8sBind> {
  const binds: Record<string, K8sBind> = {};
  for (const c of spec.containers) {
    for (const m of c.mounts) {
      if (m.kind !== 'bind' || binds[m.source]) continue;
      if (m.source === o.binary) {
        binds[m.source] = { inImage: true };
        continue;
      }
      const rel = relative(o.stateDir, m.source);
      if (rel.startsWith('..') || rel.startsWith('/')) throw new PeersError(`${m.source} (mounted at ${m.target} in ${c.role}) is not in the run's state dir: it has no place on a cluster`);
      binds[m.source] = rel === '' ? { claim: o.stateClaim } : { claim: o.stateClaim, subPath: rel, ...(o.files.includes(m.source) ? { file: true } : {}) };
    }
  }
  return binds;
}

/** The rendering's inputs for a run (pure): claims for the binds, run history kept on the state claim. */
export function k8sRunInputs(o: {
  key: string;
  repo: string;
  spec: PodSpec;
  stateDir: string;
  binary: string;
  budgetFile?: string;
  image: string;
  namespace: string;
  config: KubernetesConfig;
  allow: string[];
  vendorHosts: boolean;
  annotations?: Record<string, string>;
}): K8sRunInputs {
  const names = k8sNames(o.key);
  const state = { claim: names.stateClaim };
  const checkouts = relative(o.stateDir, `${statePaths(o.stateDir).run}/checkouts`);
  return {
    names,
    namespace: o.namespace,
    image: o.image,
    createNamespace: o.namespace === names.defaultNamespace,
    binds: stateBinds(o.spec, { stateDir: o.stateDir, binary: o.binary, stateClaim: names.stateClaim, files: o.budgetFile ? [o.budgetFile] : [] }),
    // As on podman (pod-plan.ts): the sidecars' logs are run history, gate checkouts sit beside the run.
    persistentDirs: { 'egress-log': { ...state, subPath: 'sidecars/egress' }, 'auth-usage': { ...state, subPath: 'sidecars/auth' }, checkouts: { ...state, subPath: checkouts } },
    egressPorts: o.vendorHosts ? egressPorts(o.allow, true) : [],
    config: o.config,
    annotations: { [ANNOTATION_KEY]: o.key, [ANNOTATION_REPO]: o.repo, ...o.annotations },
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}

/**
 * The objects to apply, with the credentials' values from `env` (names only in the spec) and a
 * new key for every runner (sandbox/runner-key.ts): `up` applies them before any Pod, and every
 * `up` that creates the Pods creates them with new keys.
 */
export function k8sObjects(plan: K8sPlan, env: NodeJS.ProcessEnv | undefined): K8sObject[] {
  if (!env) return renderK8s(plan.spec, plan.inputs);
  const keys = [...new Set(plan.spec.containers.flatMap((c) => c.secretEnv))];
  const runnerKeys = Object.fromEntries(RUNNER_ROLES.map((r) => [r, randomBytes(RUNNER_KEY_BYTES).toString('hex')]));
  return renderK8s(plan.spec, { ...plan.inputs, secretValues: Object.fromEntries(keys.map((k) => [k, env[k] ?? ''])), runnerKeys });
}
