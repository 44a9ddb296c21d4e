/**
 * What stands in for podman's `--network=none` on Kubernetes: NetworkPolicies (docs/ARCHITECTURE.md,
 * "Kubernetes"). Every Pod of the run is isolated both ways; the egress Pod alone may send, and
 * only to the cluster DNS and to public addresses on the allow-list's ports. The egress proxy keeps
 * its own checks (names, resolved addresses); the policy is a second wall that holds even if the
 * proxy were subverted. Nothing connects to any of the Pods over the network: they meet through
 * Unix sockets on a volume, so no ingress rule exists at all.
 *
 * NetworkPolicy is enforced by the cluster's network plugin; one that ignores it (flannel alone)
 * leaves every Pod on the network. The run Pod's init container checks isolation before the run
 * starts (netcheck.ts) and fails the run when it is missing.
 */
import type { V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { type K8sNames, LABEL_POD, LABEL_PROJECT, projectLabels } from './names.ts';

/** Private, shared, loopback, link-local (cloud metadata) and multicast ranges, never a destination. */
export const NON_PUBLIC_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4'];
export const NON_PUBLIC_V6 = ['::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8', '::ffff:0:0/96', '64:ff9b::/96'];

/** The ports the allow-list names (443 for an entry without one). */
export function egressPorts(allow: string[], vendorHosts: boolean): number[] {
  const ports = new Set<number>(vendorHosts || allow.length ? [443] : []);
  for (const a of allow) {
    const m = /:(\d{1,5})$/.exec(a);
    ports.add(m ? Number(m[1]) : 443);
  }
  return [...ports].sort((x, y) => x - y);
}

export type DnsPeer = { namespace: string; podLabels: Record<string, string> };

export function networkPolicies(names: K8sNames, namespace: string, egressPod: string, ports: number[], dns: DnsPeer): V1NetworkPolicy[] {
  const meta = (name: string) => ({ name, namespace, labels: projectLabels(names) });
  const isolate: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(names.isolatePolicy),
    // Both lists empty: nothing in, nothing out, for every Pod of this project.
    spec: { podSelector: { matchLabels: { [LABEL_PROJECT]: names.project } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  };
  const dnsPeer: V1NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dns.namespace } },
    podSelector: { matchLabels: dns.podLabels },
  };
  const out: V1NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(names.egressPolicy),
    spec: {
      podSelector: { matchLabels: { [LABEL_PROJECT]: names.project, [LABEL_POD]: egressPod } },
      policyTypes: ['Egress'],
      egress: [
        { to: [dnsPeer], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ...(ports.length
          ? [
              {
                to: [{ ipBlock: { cidr: '0.0.0.0/0', except: NON_PUBLIC_V4 } }, { ipBlock: { cidr: '::/0', except: NON_PUBLIC_V6 } }],
                ports: ports.map((port) => ({ protocol: 'TCP', port })),
              },
            ]
          : []),
      ],
    },
  };
  return [isolate, out];
}
