/**
 * The test-only stand-in vendor for the pod (sandbox/test-upstream.ts) is an exception to three
 * rules (names from a table, the host's loopback reachable from egress, an extra CA in the auth
 * sidecar), so: refused without PEERS_EGRESS_TEST_MODE=1 in `peers up`'s environment; when it is
 * used, it changes exactly those three things and nothing else; a pod without it carries no trace
 * of it; it never becomes a Kubernetes manifest; and `peers up` has no flag that sets it.
 */
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderK8s } from '../../../sandbox/k8s/k8s-render.ts';
import { k8sRunInputs } from '../../../sandbox/k8s/k8s-plan.ts';
import { KubernetesSchema } from '../../../src/config/kubernetes-schema.ts';
import { planPod } from '../../../sandbox/pod-plan.ts';
import { buildPodSpec, type ContainerSpec, type PodInputs } from '../../../sandbox/pod-spec.ts';
import { renderPodman } from '../../../sandbox/podman-render.ts';
import { checkTestUpstream, EGRESS_TEST_NETWORK, TEST_CA_IN_AUTH } from '../../../sandbox/test-upstream.ts';
import { InputError } from '../../../src/cli/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'peers-test-upstream-'));
const ca = join(dir, 'ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
const upstream = { resolve: ['api.anthropic.com=10.0.2.2', 'platform.claude.com=10.0.2.2'], caFile: ca };
const inputs: PodInputs = {
  project: 'demo-1a2b3c4d',
  repoDir: '/home/u/src/demo',
  stateDir: '/s',
  cloneDir: '/s/run/clone',
  mirrorDir: '/s/run/mirror.git',
  snapshotDir: '/s/snapshot',
  binaryPath: '/home/u/bin/peers',
  image: 'localhost/peers-workspace:latest',
  allow: [],
  secretEnv: [],
  secretFiles: [{ source: '/home/u/.claude', target: '/auth/claude', readOnly: false }],
  oauth: true,
  loopArgs: [],
};
const render = (spec: ReturnType<typeof buildPodSpec>) => renderPodman(spec, { sharedRoot: '/run/x', cgroupLimits: true, user: '1000:1000', seccompProfile: '/run/x/seccomp.json' });

describe('the test-only stand-in vendor', () => {
  test('refused (exit-2 input error) unless PEERS_EGRESS_TEST_MODE=1; a bad entry or CA file is refused too', () => {
    for (const env of [{}, { PEERS_EGRESS_TEST_MODE: '0' }, { PEERS_EGRESS_TEST_MODE: 'yes' }]) {
      expect(() => checkTestUpstream(upstream, env)).toThrow(/refused unless PEERS_EGRESS_TEST_MODE=1/);
      expect(() => checkTestUpstream(upstream, env)).toThrow(InputError);
    }
    const on = { PEERS_EGRESS_TEST_MODE: '1' };
    expect(checkTestUpstream(upstream, on)).toEqual(upstream);
    expect(() => checkTestUpstream({ ...upstream, resolve: ['api.anthropic.com'] }, on)).toThrow(/expected NAME=IP/);
    expect(() => checkTestUpstream({ ...upstream, resolve: [] }, on)).toThrow(/at least one/);
    expect(() => checkTestUpstream({ ...upstream, caFile: join(dir, 'missing.pem') }, on)).toThrow(/not a regular file/);
  });

  test('planPod refuses it before anything else happens when the variable is not set', async () => {
    const repo = join(dir, 'repo');
    expect(spawnSync('git', ['init', '-q', repo]).status).toBe(0);
    // Its own registry: `peers init` registers the project in $XDG_CONFIG_HOME/peers (it wrote the machine's ~/.config).
    const init = spawnSync(process.execPath, [join(import.meta.dir, '../../../src/main.ts'), 'init'], { cwd: repo, encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') } });
    expect(init.status, init.stderr).toBe(0);
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(dir, 'state') };
    delete env.PEERS_EGRESS_TEST_MODE;
    await expect(planPod(repo, { allow: [], testUpstream: upstream }, env)).rejects.toThrow(/a test upstream is for the test suite only/);
  });

  test('it changes the egress resolver, the egress network and the auth CA, and nothing else', () => {
    const plain = buildPodSpec(inputs);
    const test = buildPodSpec({ ...inputs, testUpstream: upstream });
    const role = (s: typeof plain, r: string) => s.containers.find((c) => c.role === r)!;
    for (const r of ['loop', 'workspace', 'bridge', 'setup', 'gates']) expect(role(test, r), r).toEqual(role(plain, r));
    const egress = role(test, 'egress');
    expect(egress.network).toBe(EGRESS_TEST_NETWORK);
    expect(egress.env.PEERS_EGRESS_TEST_MODE).toBe('1');
    expect(egress.command.slice(role(plain, 'egress').command.length)).toEqual(['--test-resolve', 'api.anthropic.com=10.0.2.2', '--test-resolve', 'platform.claude.com=10.0.2.2']);
    const auth = role(test, 'auth');
    expect(auth.env.NODE_EXTRA_CA_CERTS).toBe(TEST_CA_IN_AUTH);
    expect(auth.mounts.slice(role(plain, 'auth').mounts.length)).toEqual([{ kind: 'bind', source: ca, target: TEST_CA_IN_AUTH, readOnly: true }]);
    expect(render(test).createContainers.find((c) => c.role === 'egress')!.argv).toContain('--network=slirp4netns:allow_host_loopback=true');
    // The CA goes to the auth sidecar alone: no other container mounts it or trusts it.
    const others = test.containers.filter((c: ContainerSpec) => c.role !== 'auth');
    expect(others.some((c) => c.mounts.some((m) => m.kind === 'bind' && m.source === ca) || 'NODE_EXTRA_CA_CERTS' in c.env)).toBe(false);
  });

  test('a pod without it has no trace of it, and a pod with it never becomes a Kubernetes manifest', () => {
    const argv = render(buildPodSpec(inputs)).createContainers.flatMap((c) => c.argv).join(' ');
    expect(argv).not.toMatch(/test-resolve|PEERS_EGRESS_TEST_MODE|allow_host_loopback|NODE_EXTRA_CA_CERTS/);
    // Whatever the cluster settings, a spec carrying the test upstream is refused before anything is rendered.
    const k8s = k8sRunInputs({ key: inputs.project, repo: inputs.repoDir, spec: buildPodSpec({ ...inputs, secretFiles: [], oauth: false }), stateDir: '/s', binary: inputs.binaryPath, budgetFile: '/s/budget.json', image: 'registry.example.com/peers:1', namespace: 'peers-demo', config: KubernetesSchema.parse({}), allow: [], vendorHosts: true });
    expect(() => renderK8s(buildPodSpec({ ...inputs, testUpstream: upstream }), k8s)).toThrow(/cannot be rendered for Kubernetes/);
  });

  test('`peers up` has no flag for it', () => {
    const up = readFileSync(join(import.meta.dir, '../../../commands/up.ts'), 'utf8');
    expect(up).not.toMatch(/testUpstream|test-upstream|test-resolve/);
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
