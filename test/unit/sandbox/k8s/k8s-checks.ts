/**
 * What the API server and the cluster would decide about rendered objects, decided here without
 * one: schema validation (the Kubernetes OpenAPI schemas, as the kubernetes-models packages
 * compile them, plus client-node's generated models to catch fields the API does not know), the
 * "restricted" Pod Security Standard the namespace enforces, and NetworkPolicy semantics.
 */
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { V1Container, V1LabelSelector, V1NetworkPolicy, V1Pod } from '@kubernetes/client-node';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import type { K8sObject } from '../../../../sandbox/k8s/k8s-render.ts';

const MODELS = { Pod, Namespace, Secret, ConfigMap, PersistentVolumeClaim, NetworkPolicy } as const;
const TYPES: Record<string, string> = { Pod: 'V1Pod', Namespace: 'V1Namespace', Secret: 'V1Secret', ConfigMap: 'V1ConfigMap', PersistentVolumeClaim: 'V1PersistentVolumeClaim', NetworkPolicy: 'V1NetworkPolicy' };

/** Paths present in `a` but not in `b` (fields the API's types do not have). */
function extraPaths(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a)) return a.flatMap((x, i) => extraPaths(x, Array.isArray(b) ? b[i] : undefined, `${path}[${i}]`));
  if (a && typeof a === 'object') {
    return Object.entries(a).flatMap(([k, v]) => (b && typeof b === 'object' && k in b ? extraPaths(v, (b as Record<string, unknown>)[k], `${path}.${k}`) : [`${path}.${k}`]));
  }
  return [];
}

/** Throws with every problem: schema errors, then fields unknown to the API. */
export function validateK8s(o: K8sObject): void {
  const Model = MODELS[o.kind as keyof typeof MODELS];
  if (!Model) throw new Error(`no schema for kind ${o.kind}`);
  new (Model as unknown as new (d: unknown) => { validate(): void })(o).validate();
  const json = JSON.parse(JSON.stringify(o));
  const roundTrip = ObjectSerializer.serialize(ObjectSerializer.deserialize(json, TYPES[o.kind!]!, ""), TYPES[o.kind!]!, "");
  const extra = extraPaths(json, JSON.parse(JSON.stringify(roundTrip)));
  if (extra.length) throw new Error(`${o.kind} ${o.metadata?.name}: fields the API does not define: ${extra.join(', ')}`);
}

const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** The "restricted" Pod Security Standard (policy version latest), as admission checks it. */
export function restrictedViolations(pod: V1Pod): string[] {
  const s = pod.spec!;
  const out: string[] = [];
  const containers: V1Container[] = [...(s.initContainers ?? []), ...s.containers, ...((s.ephemeralContainers as V1Container[] | undefined) ?? [])];
  if (s.hostNetwork || s.hostPID || s.hostIPC) out.push('host namespaces');
  for (const v of s.volumes ?? []) {
    const kinds = Object.keys(v).filter((k) => k !== 'name');
    if (!kinds.every((k) => RESTRICTED_VOLUMES.includes(k))) out.push(`volume ${v.name}: ${kinds.join(',')}`);
  }
  const podNonRoot = s.securityContext?.runAsNonRoot === true;
  const podSeccomp = s.securityContext?.seccompProfile?.type;
  if (s.securityContext?.runAsUser === 0) out.push('pod runAsUser 0');
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (!(sc.runAsNonRoot === true || (sc.runAsNonRoot === undefined && podNonRoot))) out.push(`${c.name}: runAsNonRoot`);
    if (sc.runAsUser === 0) out.push(`${c.name}: runAsUser 0`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((x) => x !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities added`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: seccomp ${seccomp}`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${c.name}: hostPort`);
    if (sc.procMount && sc.procMount !== 'Default') out.push(`${c.name}: procMount`);
  }
  return out;
}

const matches = (sel: V1LabelSelector | undefined, labels: Record<string, string>): boolean =>
  Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v) && !(sel?.matchExpressions?.length);

function ipv4(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  if (cidr.includes(':') || ip.includes(':')) return cidr.includes(':') === ip.includes(':') && cidr === '::/0';
  const [net, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(net) / size);
}

export type Destination =
  | { ip: string; port: number; protocol: 'TCP' | 'UDP' }
  | { pod: { namespace: string; namespaceLabels: Record<string, string>; labels: Record<string, string> }; port: number; protocol: 'TCP' | 'UDP' };

/** NetworkPolicy semantics for egress: isolated once any policy selects the Pod, then the union of their rules. */
export function egressAllowed(policies: V1NetworkPolicy[], pod: V1Pod, dest: Destination): boolean {
  const selecting = policies.filter((p) => p.metadata?.namespace === pod.metadata?.namespace && matches(p.spec!.podSelector, pod.metadata?.labels ?? {}) && (p.spec!.policyTypes ?? ['Ingress']).includes('Egress'));
  if (!selecting.length) return true;
  return selecting.some((p) =>
    (p.spec!.egress ?? []).some((rule) => {
      const portOk = !rule.ports?.length || rule.ports.some((pp) => (pp.protocol ?? 'TCP') === dest.protocol && (pp.port === undefined || pp.port === dest.port));
      if (!portOk) return false;
      if (!rule.to?.length) return true;
      return rule.to.some((peer) => {
        if ('ip' in dest) return peer.ipBlock !== undefined && inCidr(dest.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e) => inCidr(dest.ip, e));
        if (peer.ipBlock) return false;
        const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, dest.pod.namespaceLabels) : dest.pod.namespace === p.metadata?.namespace;
        return nsOk && (!peer.podSelector || matches(peer.podSelector, dest.pod.labels));
      });
    }),
  );
}

/** Ingress to a Pod from anywhere: isolated once any policy selects it for Ingress, then the union of rules. */
export function ingressAllowedFromAnywhere(policies: V1NetworkPolicy[], pod: V1Pod): boolean {
  const selecting = policies.filter((p) => p.metadata?.namespace === pod.metadata?.namespace && matches(p.spec!.podSelector, pod.metadata?.labels ?? {}) && (p.spec!.policyTypes ?? ['Ingress']).includes('Ingress'));
  return !selecting.length || selecting.some((p) => (p.spec!.ingress ?? []).length > 0);
}
