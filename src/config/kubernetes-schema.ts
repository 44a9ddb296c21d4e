/**
 * The `kubernetes:` section of `.peers/config.yaml`: where `peers up --target k8s` runs a project
 * and with what resources. Only the Kubernetes target reads it; podman ignores it.
 */
import { z } from 'zod';

/** A Kubernetes quantity as the API accepts it for cpu (`500m`, `2`, `1.5`). */
const CPU = /^(\d+(\.\d+)?|\d+m)$/;
/** A Kubernetes quantity for bytes (`512Mi`, `4Gi`, `1G`, `1000000`). */
const BYTES = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
/** A DNS-1123 label: namespace names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** `host[:port]/path` of an image registry, without a tag (the tag is peers'). */
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;

/** The containers whose resources can be set (`setup` exists once the run has a setup container). */
export const K8S_RESOURCE_ROLES = ['loop', 'workspace', 'setup', 'gates', 'auth', 'bridge', 'egress'] as const;

const ResourceSet = z
  .strictObject({
    cpu: z.string().regex(CPU, 'cpu must be a Kubernetes quantity such as 500m or 2').optional(),
    memory: z.string().regex(BYTES, 'memory must be a Kubernetes quantity such as 512Mi or 4Gi').optional(),
  })
  .describe('cpu and memory, as Kubernetes quantities.');

const RoleResources = z
  .strictObject({
    requests: ResourceSet.optional().describe('What the scheduler reserves for this container.'),
    limits: ResourceSet.optional().describe('The most this container may use (memory over the limit is OOM-killed).'),
  })
  .describe('Resource requests and limits of one container.');

export const KubernetesSchema = z
  .strictObject({
    registry: z
      .string()
      .regex(REGISTRY, 'registry must look like registry.example.com/team (no tag: peers pins it)')
      .optional()
      .describe('Where `peers image build --push REGISTRY` pushed the peers image; `peers up --target k8s` runs REGISTRY/peers:<version>-<build>.'),
    context: z.string().min(1).optional().describe('kubeconfig context to use (default: the current context); `--context` overrides it.'),
    namespace: z
      .string()
      .regex(DNS_LABEL, 'namespace must be a DNS label: lowercase letters, digits and -, at most 63')
      .optional()
      .describe('Namespace of the run (default: peers-<project>, created with the restricted Pod Security level); `--namespace` overrides it.'),
    storage_class: z.string().min(1).optional().describe('StorageClass of the run\'s volumes (default: the cluster\'s default class). Its volumes must be mountable by several Pods on one node (any block or local class).'),
    state_size: z.string().regex(BYTES, 'state_size must be a Kubernetes quantity such as 5Gi').default('5Gi').describe('Size of the run\'s state volume (the run clone, the loop\'s state, the sidecars\' logs).'),
    cache_size: z.string().regex(BYTES, 'cache_size must be a Kubernetes quantity such as 5Gi').default('5Gi').describe('Size of the gates\' dependency cache volume.'),
    resources: z
      .partialRecord(z.enum(K8S_RESOURCE_ROLES), RoleResources)
      .optional()
      .describe('Per container: requests and limits (memory limits default to the podman limits; requests to a quarter of them).'),
    dns: z
      .strictObject({
        namespace: z.string().regex(DNS_LABEL).default('kube-system').describe('Namespace of the cluster DNS Pods.'),
        pod_labels: z.record(z.string(), z.string()).default({ 'k8s-app': 'kube-dns' }).describe('Labels of the cluster DNS Pods.'),
      })
      .prefault({})
      .describe('The cluster DNS the egress Pod (and nothing else) may ask.'),
    seccomp: z
      .string()
      .regex(/^(runtime-default|localhost\/[A-Za-z0-9._/-]+)$/, 'seccomp must be runtime-default or localhost/<profile path on the nodes>')
      .default('runtime-default')
      .describe('Seccomp profile of every container: runtime-default, or localhost/<path> of a profile installed on the nodes.'),
  })
  .describe('Running on Kubernetes (`peers up --target k8s`).');

export type KubernetesConfig = z.output<typeof KubernetesSchema>;
