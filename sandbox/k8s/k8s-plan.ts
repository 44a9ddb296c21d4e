/**
 * The Kubernetes run of a project as data: the same pod spec `peers up` builds for podman
 * (planPod), told what each of its host paths is in a cluster, rendered as objects
 * (k8s-render.ts). `peers up --target k8s` applies the result; `--dry-run k8s` prints it.
 */
import { hostname, userInfo } from 'node:os';
import { InputError } from '../../src/cli/errors.ts';
import { PEERS_VERSION } from '../../src/cli/version.ts';
import { KubernetesSchema, type KubernetesConfig } from '../../src/config/kubernetes-schema.ts';
import { type K8sObject, type K8sRunInputs, renderK8s } from '../k8s-render.ts';
import type { PodSpec } from '../pod-spec.ts';
import { hostBinary, planPod, type UpOptions } from '../up.ts';
import { ANNOTATION_KEY, ANNOTATION_REPO, ANNOTATION_STARTED_BY, type K8sNames, k8sNames } from './names.ts';
import { egressPorts } from './network-policy.ts';
import { imageForBinary } from './peers-image.ts';
import { CLONE_ON_STATE } from './run-repo.ts';

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
};

export async function planK8s(repo: string, o: Pick<UpOptions, 'maxTicks' | 'maxUsd' | 'maxRuntimeS' | 'allow' | 'credentials' | 'upstream'> & K8sTargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<K8sPlan> {
  if (o.credentials === 'oauth-file') {
    throw new InputError('--credentials oauth-file cannot run on Kubernetes: a refresh token is single-use, and a cluster cannot write the refreshed login back to your machine, so one of the two logins would be lost', {
      hint: 'use API keys (ANTHROPIC_API_KEY, OPENAI_API_KEY) with --target k8s',
    });
  }
  const { project, key, stateDir, spec } = await planPod(repo, o, env);
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
    stateDir,
    binary,
    image,
    namespace,
    config,
    allow: [...new Set([...(project.config.egress?.allow ?? []), ...o.allow])],
    vendorHosts: o.upstream !== 'model-server',
    annotations: { [ANNOTATION_STARTED_BY]: `${safeUser()}@${hostname()}`, 'peers.dev/version': PEERS_VERSION },
  });
  return { key, repo, stateDir, spec, names, namespace, context: o.context ?? config.context, image, config, inputs, configPath: project.configPath };
}

/**
 * What each host path of the pod spec is in the cluster, and the rest of the rendering's inputs
 * (pure). The peers binary is in the image; the state dir is the state claim; the repository is
 * the run clone delivered onto the state claim; the sidecars' logs are kept on the state claim.
 */
export function k8sRunInputs(o: {
  key: string;
  repo: string;
  stateDir: string;
  binary: string;
  image: string;
  namespace: string;
  config: KubernetesConfig;
  allow: string[];
  vendorHosts: boolean;
  annotations?: Record<string, string>;
}): K8sRunInputs {
  const names = k8sNames(o.key);
  const state = { claim: names.stateClaim };
  return {
    names,
    namespace: o.namespace,
    image: o.image,
    createNamespace: o.namespace === names.defaultNamespace,
    binds: {
      [o.binary]: { inImage: true },
      [o.stateDir]: state,
      // The run's repository is delivered onto the state claim (run-repo.ts), never mounted from here.
      [o.repo]: { ...state, subPath: CLONE_ON_STATE },
    },
    persistentDirs: { 'egress-log': { ...state, subPath: 'sidecars/egress' }, 'auth-usage': { ...state, subPath: 'sidecars/auth' } },
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

/** The objects to apply, with the credentials' values from `env` (names only in the spec). */
export function k8sObjects(plan: K8sPlan, env: NodeJS.ProcessEnv | undefined): K8sObject[] {
  if (!env) return renderK8s(plan.spec, plan.inputs);
  const keys = [...new Set(plan.spec.containers.flatMap((c) => c.secretEnv))];
  return renderK8s(plan.spec, { ...plan.inputs, secretValues: Object.fromEntries(keys.map((k) => [k, env[k] ?? ''])) });
}
