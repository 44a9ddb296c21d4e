/**
 * The client path against a local stand-in for the Kubernetes API: an HTTP server answering the
 * calls peers makes with the shapes the API returns (objects, lists, Status documents for 404, 409
 * and 403), recording every request. The requests themselves are asserted: method, path, query,
 * bearer token and body, as a real API server would receive them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeCluster } from '../../../../sandbox/k8s/kube-client.ts';
import { InputError } from '../../../../src/cli/errors.ts';
import { listClusterRuns } from '../../../../sandbox/k8s/k8s-ls.ts';

type Seen = { method: string; path: string; query: Record<string, string>; auth: string | null; body: unknown };
let seen: Seen[] = [];
const existing = new Set<string>();
let server: ReturnType<typeof Bun.serve>;
let dir: string;
const savedKubeconfig = process.env.KUBECONFIG;

const status = (code: number, reason: string, message: string) =>
  Response.json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }, { status: code });
const runPod = (ns: string, name: string, loop: 'running' | 'exited'): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'peers', 'peers.dev/pod': 'run', 'peers.dev/project': name }, annotations: { 'peers.dev/project-key': `${name}-1a2b3c4d`, 'peers.dev/repository': `/home/u/${name}`, 'peers.dev/started-by': 'u@laptop' } },
  spec: { containers: [{ name: 'loop', image: 'i' }], nodeName: 'node-1' },
  status: { phase: 'Running', containerStatuses: [{ name: 'loop', image: 'i', imageID: '', ready: loop === 'running', restartCount: 0, state: loop === 'running' ? { running: { startedAt: new Date('2026-01-01T00:00:00Z') } } : { terminated: { exitCode: 3, startedAt: new Date('2026-01-01T00:00:00Z') } } }] },
});

beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url);
      const text = await req.text();
      seen.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), auth: req.headers.get('authorization'), body: text ? JSON.parse(text) : undefined });
      const p = url.pathname;
      if (p === '/api/v1/namespaces/forbidden/pods') return status(403, 'Forbidden', 'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "forbidden"');
      if (req.method === 'POST') {
        const body = JSON.parse(text) as { metadata: { name: string } };
        const key = `${p}/${body.metadata.name}`;
        if (existing.has(key)) return status(409, 'AlreadyExists', `${body.metadata.name} already exists`);
        existing.add(key);
        return Response.json(body, { status: 201 });
      }
      if (req.method === 'PUT') return Response.json(JSON.parse(text));
      if (req.method === 'DELETE') return p.endsWith('/gone') ? status(404, 'NotFound', 'not found') : Response.json({ kind: 'Status', apiVersion: 'v1', status: 'Success' });
      if (p === '/api/v1/namespaces/ns1/pods/missing') return status(404, 'NotFound', 'pods "missing" not found');
      if (p === '/api/v1/pods') return Response.json({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [runPod('b-ns', 'beta', 'exited'), runPod('a-ns', 'alpha', 'running')] });
      return status(404, 'NotFound', `no stand-in for ${req.method} ${p}`);
    },
  });
  dir = mkdtempSync(join(tmpdir(), 'peers-kube-'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1
kind: Config
current-context: stand-in
contexts:
  - name: stand-in
    context: { cluster: local, user: u }
  - name: other
    context: { cluster: local, user: u }
clusters:
  - name: local
    cluster: { server: "http://127.0.0.1:${server.port}", insecure-skip-tls-verify: true }
users:
  - name: u
    user: { token: t0ken-of-u }
`,
  );
  process.env.KUBECONFIG = join(dir, 'config');
});

afterAll(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
  if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = savedKubeconfig;
});

describe('the Kubernetes client against a stand-in API', () => {
  test('apply: a Secret is POSTed with strict field validation and the bearer token; an existing one is replaced with PUT', async () => {
    seen = [];
    const c = await KubeCluster.connect();
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'peers-app-credentials', namespace: 'ns1' }, type: 'Opaque', data: { ANTHROPIC_API_KEY: 'c2s=' } } as const;
    expect(await c.apply(secret)).toBe('created');
    expect(await c.apply(secret)).toBe('replaced');
    expect(seen.map((s) => [s.method, s.path, s.query.fieldValidation, s.query.fieldManager, s.auth])).toEqual([
      ['POST', '/api/v1/namespaces/ns1/secrets', 'Strict', 'peers', 'Bearer t0ken-of-u'],
      ['POST', '/api/v1/namespaces/ns1/secrets', 'Strict', 'peers', 'Bearer t0ken-of-u'],
      ['PUT', '/api/v1/namespaces/ns1/secrets/peers-app-credentials', 'Strict', 'peers', 'Bearer t0ken-of-u'],
    ]);
    expect(seen[0]!.body).toEqual(secret);
  });

  test('NetworkPolicies go to the networking.k8s.io group; a claim that exists is kept, not replaced', async () => {
    seen = [];
    const c = await KubeCluster.connect();
    await c.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'iso', namespace: 'ns1' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    const claim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'st', namespace: 'ns1' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } as const;
    await c.apply(claim);
    expect(await c.apply(claim)).toBe('kept');
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /apis/networking.k8s.io/v1/namespaces/ns1/networkpolicies',
      'POST /api/v1/namespaces/ns1/persistentvolumeclaims',
      'POST /api/v1/namespaces/ns1/persistentvolumeclaims',
    ]);
  });

  test('read and delete: a missing Pod is undefined, a delete carries the grace period, a missing object is no error', async () => {
    seen = [];
    const c = await KubeCluster.connect();
    expect(await c.readPod('ns1', 'missing')).toBeUndefined();
    expect(await c.remove('Pod', 'ns1', 'peers-app', 5)).toBe(true);
    expect(await c.remove('NetworkPolicy', 'ns1', 'gone')).toBe(false);
    expect(seen.map((s) => [s.method, s.path, s.query.gracePeriodSeconds ?? null])).toEqual([
      ['GET', '/api/v1/namespaces/ns1/pods/missing', null],
      ['DELETE', '/api/v1/namespaces/ns1/pods/peers-app', '5'],
      ['DELETE', '/apis/networking.k8s.io/v1/namespaces/ns1/networkpolicies/gone', null],
    ]);
  });

  test('a 403 is an error naming what was refused, pointing at the Role in the README', async () => {
    const c = await KubeCluster.connect();
    const e = await c.listPods('forbidden', 'a=b').catch((x: Error & { hint?: string }) => x);
    expect((e as Error).message).toContain('HTTP 403');
    expect((e as Error & { hint?: string }).hint).toContain('Running on Kubernetes');
  });

  test('peers ls --target k8s: one list of run Pods across namespaces by label, each run with its status and who started it', async () => {
    seen = [];
    const { context, runs } = await listClusterRuns('other');
    expect(context).toBe('other');
    expect(seen.map((s) => [s.method, s.path, s.query.labelSelector])).toEqual([['GET', '/api/v1/pods', 'app.kubernetes.io/managed-by=peers,peers.dev/pod=run']]);
    expect(runs.map((r) => [r.namespace, r.project, r.status, r.exitCode, r.startedBy, r.repository])).toEqual([
      ['a-ns', 'alpha-1a2b3c4d', 'running', null, 'u@laptop', '/home/u/alpha'],
      ['b-ns', 'beta-1a2b3c4d', 'ended', 3, 'u@laptop', '/home/u/beta'],
    ]);
  });

  test('a cluster served over plain HTTP with TLS checks on is an input error (exit 2), not an internal one', async () => {
    const plain = join(dir, 'plain-http');
    writeFileSync(plain, `apiVersion: v1
kind: Config
current-context: plain
contexts: [{ name: plain, context: { cluster: c, user: u } }]
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${server.port}" } }]
users: [{ name: u, user: { token: t } }]
`);
    process.env.KUBECONFIG = plain;
    try {
      const e = await KubeCluster.connect().catch((x: Error) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as Error).message).toContain('plain HTTP (http://127.0.0.1:');
      expect((e as InputError).exitCode).toBe(2);
    } finally {
      process.env.KUBECONFIG = join(dir, 'config');
    }
  });

  test('an unknown context is a clear input error listing the contexts', async () => {
    const e = await KubeCluster.connect({ context: 'nope' }).catch((x: Error & { hint?: string }) => x);
    expect((e as Error).message).toContain('no context named nope');
    expect((e as Error & { hint?: string }).hint).toContain('stand-in, other');
  });
});
