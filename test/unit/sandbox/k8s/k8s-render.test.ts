/**
 * The Kubernetes rendering of the pod spec: the objects `peers up --target k8s` applies are valid
 * for the API (OpenAPI schemas), pass the restricted Pod Security level, mount no host path, keep
 * the podman topology (setup and gates in Pods of their own, the workspace on the run clone, the
 * gates on the trusted mirror read-only, the credentials in auth alone), and let only the egress
 * Pod out (NetworkPolicy semantics, k8s-checks.ts).
 */
import { describe, expect, test } from 'bun:test';
import type { V1NetworkPolicy, V1Pod, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { renderK8s } from '../../../../sandbox/k8s/k8s-render.ts';
import { k8sRunInputs, stateBinds } from '../../../../sandbox/k8s/k8s-plan.ts';
import { buildPodSpec, type PodInputs } from '../../../../sandbox/pod-spec.ts';
import { KubernetesSchema } from '../../../../src/config/kubernetes-schema.ts';
import { egressAllowed, ingressAllowedFromAnywhere, restrictedViolations, validateK8s } from './k8s-checks.ts';

const STATE = '/home/u/.local/state/peers/demo-1a2b3c4d';
const BINARY = '/home/u/bin/peers';
const inputs: PodInputs = {
  project: 'demo-1a2b3c4d',
  repoDir: '/home/u/src/demo',
  stateDir: STATE,
  cloneDir: `${STATE}/run/clone`,
  mirrorDir: `${STATE}/run/mirror.git`,
  snapshotDir: `${STATE}/snapshot`,
  binaryPath: BINARY,
  image: 'localhost/peers-workspace:latest',
  allow: ['registry.npmjs.org'],
  secretEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
  secretFiles: [],
  loopArgs: ['--max-ticks', '5'],
  budgetPolicyFile: `${STATE}/budget.json`,
};
// As `peers up --target k8s` plans it: every runner takes a per-run key (sandbox/runner-key.ts).
const spec = buildPodSpec({ ...inputs, runnerKeys: true });
const RUNNER_KEYS = { workspace: 'a'.repeat(64), setup: 'b'.repeat(64), gates: 'c'.repeat(64) };
const run = k8sRunInputs({
  key: 'demo-1a2b3c4d',
  repo: inputs.repoDir,
  spec,
  stateDir: STATE,
  binary: BINARY,
  budgetFile: `${STATE}/budget.json`,
  image: 'registry.example.com/team/peers:1.0.0-abc',
  namespace: 'peers-demo-1a2b3c4d',
  config: KubernetesSchema.parse({}),
  allow: inputs.allow,
  vendorHosts: true,
});
const objects = renderK8s(spec, { ...run, secretValues: { ANTHROPIC_API_KEY: 'sk-ant-x', OPENAI_API_KEY: 'sk-x' }, runnerKeys: RUNNER_KEYS });
const pods = objects.filter((o): o is V1Pod => o.kind === 'Pod');
const policies = objects.filter((o): o is V1NetworkPolicy => o.kind === 'NetworkPolicy');
const podOf = (kind: string) => pods.find((p) => p.metadata!.labels!['peers.dev/pod'] === kind)!;
const container = (kind: string, name: string) => podOf(kind).spec!.containers.find((c) => c.name === name)!;
const claimOf = (pod: V1Pod, m: V1VolumeMount) => pod.spec!.volumes!.find((v: V1Volume) => v.name === m.name)?.persistentVolumeClaim?.claimName;
const mountAt = (kind: string, name: string, path: string) => container(kind, name).volumeMounts!.find((m) => m.mountPath === path);

describe('kubernetes rendering of the pod spec', () => {
  test('every object is valid for the Kubernetes API (OpenAPI schemas, no field the API does not define)', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['Namespace', 'NetworkPolicy', 'NetworkPolicy', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'Pod', 'Pod', 'Pod', 'Pod', 'Secret', 'Secret']);
    for (const o of objects) validateK8s(o);
  });

  test('a Pod with a field the API does not know is refused by the check (the check can fail)', () => {
    const bad = structuredClone(pods[0]!) as V1Pod & { spec: { hostMounts?: string[] } };
    bad.spec.hostMounts = ['/'];
    expect(() => validateK8s(bad)).toThrow();
  });

  test('no host path anywhere, and every Pod passes the restricted Pod Security level', () => {
    expect(JSON.stringify(objects)).not.toContain('hostPath');
    // The user's repository is named in an annotation (for `peers ls --target k8s`) and nowhere else.
    expect(JSON.stringify(objects.map((o) => ({ ...o, metadata: { ...o.metadata, annotations: {} } })))).not.toContain(inputs.repoDir);
    for (const p of pods) expect(restrictedViolations(p)).toEqual([]);
  });

  test('the podman topology: loop, workspace, auth, bridge share the run Pod; setup, gates and egress are Pods of their own', () => {
    const names = (kind: string) => podOf(kind).spec!.containers.map((c) => c.name).sort();
    expect(names('run')).toEqual(['auth', 'bridge', 'loop', 'reader', 'workspace']);
    for (const r of ['setup', 'gates', 'egress']) expect(names(r)).toEqual([r]);
  });

  test('the workspace works on the run clone of the state claim; setup and gates read the trusted mirror read-only; only setup writes the dependency cache', () => {
    const state = 'peers-demo-1a2b3c4d-state';
    const ws = mountAt('run', 'workspace', '/work')!;
    expect([claimOf(podOf('run'), ws), ws.subPath, ws.readOnly]).toEqual([state, 'run/clone', false]);
    for (const r of ['setup', 'gates']) {
      const m = mountAt(r, r, '/mirror')!;
      expect([claimOf(podOf(r), m), m.subPath, m.readOnly]).toEqual([state, 'run/mirror.git', true]);
      expect(mountAt(r, r, '/work')).toBeUndefined();
      expect(mountAt(r, r, '/state')).toBeUndefined();
    }
    expect(mountAt('setup', 'setup', '/cache')?.readOnly).toBe(false);
    expect(mountAt('gates', 'gates', '/cache')).toBeUndefined();
    // The snapshot the loop enforces is read-only over its writable state mount.
    expect(mountAt('run', 'loop', '/state/snapshot')).toMatchObject({ subPath: 'snapshot', readOnly: true });
    // The budget policy is a file of the delivered state, never made as a directory by init.
    expect(mountAt('run', 'auth', '/run/peers/budget.json')).toMatchObject({ subPath: 'budget.json', readOnly: true });
    expect(JSON.stringify(podOf('run').spec!.initContainers)).not.toContain('budget.json');
  });

  test('credentials come from the Secret, by reference, into the auth container alone', () => {
    for (const p of pods) {
      for (const c of p.spec!.containers) {
        const fromSecret = (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
        expect(fromSecret.length > 0).toBe(c.name === 'auth');
        expect(JSON.stringify(c.env ?? [])).not.toContain('sk-ant-x');
      }
    }
  });

  test('each runner takes its per-run key from its own Pod\'s init container, and only the loop reads them all: no peer or gate can seal an answer or a request', () => {
    const secret = objects.find((o): o is V1Secret => o.kind === 'Secret' && o.metadata!.name === 'peers-demo-1a2b3c4d-runner-keys')!;
    const decoded = Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(JSON.parse(decoded['runner-keys.json']!)).toEqual(RUNNER_KEYS);
    const secretVolumes = (p: V1Pod) => new Set(p.spec!.volumes!.filter((v) => v.secret?.secretName === secret.metadata!.name).map((v) => v.name));
    for (const p of pods) {
      const ofSecret = secretVolumes(p);
      // No long-running container but the loop mounts the keys: the workspace, auth, bridge, the
      // reader, setup, gates and egress see none of them.
      for (const c of p.spec!.containers) expect((c.volumeMounts ?? []).some((m) => ofSecret.has(m.name))).toBe(c.name === 'loop');
      for (const c of p.spec!.containers.filter((x) => ['workspace', 'setup', 'gates'].includes(x.name))) {
        // The runner waits for its key in a directory of its own, an emptyDir its Pod's init fills.
        const dir = c.command![c.command!.indexOf('--key-dir') + 1]!;
        expect(c.command).toContain('--key-dir');
        const m = c.volumeMounts!.find((x) => x.mountPath === dir)!;
        expect(p.spec!.volumes!.find((v) => v.name === m.name)?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
        expect(p.spec!.containers.filter((x) => x !== c && (x.volumeMounts ?? []).some((y) => y.name === m.name))).toEqual([]);
        const init = p.spec!.initContainers![0]!;
        const into = init.volumeMounts!.find((x) => x.name === m.name)!.mountPath;
        const fromSecret = init.volumeMounts!.find((x) => ofSecret.has(x.name))!;
        expect(init.command).toContain(`${fromSecret.mountPath}/${c.name}=${into}/key`);
        // The init container of this Pod is given this Pod's runners' keys, never another's.
        const items = p.spec!.volumes!.find((v) => v.name === fromSecret.name)!.secret!.items!.map((i) => i.key);
        expect(items).toEqual(p.spec!.containers.filter((x) => ['workspace', 'setup', 'gates'].includes(x.name)).map((x) => x.name));
      }
    }
    // The loop reads the key file from its own mount of the Secret, never from the state claim
    // (which the reader serves to `status`).
    const loop = container('run', 'loop');
    const keysFile = loop.env!.find((e) => e.name === 'PEERS_RUNNER_KEYS')!.value!;
    const keysMount = loop.volumeMounts!.find((m) => keysFile.startsWith(`${m.mountPath}/`))!;
    expect(secretVolumes(podOf('run')).has(keysMount.name)).toBe(true);
    // Without values (the dry run) no Secret is rendered and nothing holds a key.
    const dry = renderK8s(spec, run);
    expect(dry.some((o) => o.kind === 'Secret')).toBe(false);
    expect(JSON.stringify(dry)).not.toContain('a'.repeat(64));
  });

  test('a spec whose runners take no key is not rendered: an impostor at a runner socket would be heard', () => {
    expect(() => renderK8s(buildPodSpec(inputs), run)).toThrow(/runner.*key/);
  });

  test('NetworkPolicy: only the egress Pod reaches the internet; no Pod takes connections from anywhere', () => {
    const internet = { ip: '93.184.216.34', port: 443, protocol: 'TCP' as const };
    for (const p of pods) {
      expect(egressAllowed(policies, p, internet)).toBe(p === podOf('egress'));
      expect(egressAllowed(policies, p, { ip: '10.0.0.5', port: 443, protocol: 'TCP' })).toBe(false);
      expect(ingressAllowedFromAnywhere(policies, p)).toBe(false);
    }
  });

  test('a bind outside the state dir is refused, never turned into a host path', () => {
    const withHome = buildPodSpec({ ...inputs, cloneDir: '/home/u/src/demo' });
    expect(() => stateBinds(withHome, { stateDir: STATE, binary: BINARY, stateClaim: 'c', files: [] })).toThrow(/not in the run's state dir/);
  });
});
