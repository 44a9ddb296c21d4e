/**
 * The pod's egress split and container hardening, as data and as rendered podman argv: the vendor
 * hosts only behind a socket the auth container alone mounts, no vendor host at all for the demo
 * and rehearsals, no IPC shared between pod members, and every container under the seccomp profile
 * that takes user namespaces away (the profile itself is tested below, and on real podman in
 * test/e2e/pod-hardening.test.ts).
 */
import { describe, expect, test } from 'bun:test';
import { limitsSupport } from '../../../sandbox/host-limits.ts';
import type { Role } from '../../../sandbox/pod-layout.ts';
import { buildPodSpec, type ContainerSpec, type PodInputs } from '../../../sandbox/pod-spec.ts';
import { renderPodman } from '../../../sandbox/podman-render.ts';
import { CLONE_NEWUSER, SeccompProfileError, withoutUserNamespaces } from '../../../sandbox/seccomp-profile.ts';

const inputs: PodInputs = {
  project: 'app-1a2b3c4d',
  repoDir: '/home/u/src/app',
  stateDir: '/home/u/.local/state/peers/app-1a2b3c4d',
  cloneDir: '/home/u/.local/state/peers/app-1a2b3c4d/run/clone',
  mirrorDir: '/home/u/.local/state/peers/app-1a2b3c4d/run/mirror.git',
  snapshotDir: '/home/u/.local/state/peers/app-1a2b3c4d/snapshot',
  binaryPath: '/home/u/bin/peers',
  image: 'localhost/peers-workspace:latest',
  allow: ['registry.npmjs.org'],
  secretEnv: ['ANTHROPIC_API_KEY'],
  secretFiles: [],
  loopArgs: [],
};
const roleOf = (spec: ReturnType<typeof buildPodSpec>, r: Role): ContainerSpec => spec.containers.find((c) => c.role === r)!;
const flagValues = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]!] : []));
const VENDOR_SOCKET = 'unix:/run/peers/egress-auth/egress.sock';
const WORKSPACE_SOCKET = 'unix:/run/peers/egress/egress.sock';
const GATES_SOCKET = 'unix:/run/peers/egress-gates/egress.sock';

describe('vendors only through the auth sidecar', () => {
  const spec = buildPodSpec(inputs);
  const egress = roleOf(spec, 'egress').command;

  test('the egress proxy has two listeners: the workspace socket (project entries) and the vendor socket', () => {
    expect(flagValues(egress, '--listen')).toEqual([WORKSPACE_SOCKET]);
    expect(flagValues(egress, '--vendor-listen')).toEqual([VENDOR_SOCKET]);
    expect(flagValues(egress, '--allow')).toEqual(['registry.npmjs.org']);
    expect(egress).not.toContain('--no-vendor-hosts');
    expect(egress).not.toContain('--oauth-hosts');
  });

  test('the auth sidecar alone reaches the vendor socket; the bridge only the workspace socket; setup and the gates only theirs, with the same allow-list', () => {
    expect(flagValues(roleOf(spec, 'auth').command, '--egress')).toEqual([VENDOR_SOCKET]);
    expect(flagValues(roleOf(spec, 'bridge').command, '--to')).toEqual([WORKSPACE_SOCKET]);
    expect(roleOf(spec, 'gates').command.at(-1)).toBe(`127.0.0.1:3128=${GATES_SOCKET}`);
    expect(roleOf(spec, 'setup').command.at(-1)).toBe(`127.0.0.1:3128=${GATES_SOCKET}`);
    expect(flagValues(roleOf(spec, 'egress').command, '--gates-listen')).toEqual([GATES_SOCKET]);
    // setup installs dependencies through the proxy; it gets no vendor base URL or placeholder key.
    for (const r of ['setup', 'gates'] as const) {
      expect(roleOf(spec, r).env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
      expect(Object.keys(roleOf(spec, r).env).filter((k) => /ANTHROPIC|OPENAI|CLAUDE/.test(k))).toEqual([]);
    }
    const mounting = (name: string) => spec.containers.filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name)).map((c) => `${c.role}${c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name && m.readOnly) ? ':ro' : ':rw'}`).sort();
    expect(mounting('egress-auth')).toEqual(['auth:ro', 'egress:rw']);
    expect(mounting('egress')).toEqual(['bridge:ro', 'egress:rw']);
    expect(mounting('egress-gates')).toEqual(['egress:rw', 'gates:ro', 'setup:ro']);
    expect(spec.sharedDirs).toContain('egress-auth');
    expect(spec.sharedDirs).toContain('egress-gates');
  });

  test('--credentials oauth-file adds the OAuth token hosts (to the vendor listener)', () => {
    expect(roleOf(buildPodSpec({ ...inputs, oauth: true }), 'egress').command).toContain('--oauth-hosts');
  });

  test('the demo and rehearsals (model server in the pod): no vendor host on either listener, whatever the allow-list says', () => {
    const allow = ['registry.npmjs.org', 'api.anthropic.com', '*.openai.com', 'chatgpt.com:443', 'platform.claude.com', 'auth.openai.com:8443', '*.pythonhosted.org'];
    const cmd = roleOf(buildPodSpec({ ...inputs, allow, upstream: 'model-server', oauth: true }), 'egress').command;
    expect(cmd).toContain('--no-vendor-hosts');
    expect(cmd).not.toContain('--oauth-hosts');
    // What setup and the tests download from stays (a rehearsal checks those too); nothing else.
    expect(flagValues(cmd, '--allow')).toEqual(['registry.npmjs.org', '*.pythonhosted.org']);
    // The demo has no allow-list: nothing leaves the pod at all.
    expect(flagValues(roleOf(buildPodSpec({ ...inputs, allow: [], upstream: 'model-server' }), 'egress').command, '--allow')).toEqual([]);
  });

  test('the auth sidecar logs to a size-capped file beside its ledger, not to the container log', () => {
    const auth = roleOf(spec, 'auth').command;
    expect(flagValues(auth, '--log-file')).toEqual(['/run/peers/auth-usage/auth.log']);
    expect(flagValues(auth, '--usage-ledger')).toEqual(['/run/peers/auth-usage/usage.jsonl']);
  });
});

describe('container hardening, rendered for podman', () => {
  const spec = buildPodSpec(inputs);
  const plan = renderPodman(spec, { sharedRoot: '/run/user/1000/peers/app', cgroupLimits: false, user: '1000:1000', seccompProfile: '/run/user/1000/peers/app/seccomp.json' });

  test('the pod shares its loopback and hostname only: no IPC namespace, no /dev/shm shared between members', () => {
    expect(spec.sharedNamespaces).toEqual(['net', 'uts']);
    expect(plan.createPod).toContain('--share=net,uts');
  });

  test('every container, in the pod or beside it (setup included), runs under the profile without user namespaces', () => {
    expect(plan.createContainers.map((c) => c.role).sort()).toEqual(['auth', 'bridge', 'egress', 'gates', 'loop', 'setup', 'workspace']);
    for (const c of spec.containers) expect(c.noUserNamespaces).toBe(true);
    for (const { role, argv } of plan.createContainers) expect(`${role} ${argv.filter((a) => a.startsWith('--security-opt=seccomp=')).join(' ')}`).toBe(`${role} --security-opt=seccomp=/run/user/1000/peers/app/seccomp.json`);
  });
});

describe('the seccomp profile without user namespaces', () => {
  // The shape of podman's default (containers-common seccomp.json), trimmed.
  const podmanDefault = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    syscalls: [
      { names: ['accept', 'clone', 'clone3', 'read', 'setns', 'unshare', 'write'], action: 'SCMP_ACT_ALLOW', args: [], comment: '', includes: {}, excludes: {} },
      { names: ['unshare'], action: 'SCMP_ACT_ALLOW', args: [], includes: { caps: ['CAP_SYS_ADMIN'] }, excludes: {} },
      { names: ['bpf'], action: 'SCMP_ACT_ERRNO', args: [], includes: {}, excludes: { caps: ['CAP_SYS_ADMIN'] }, errnoRet: 1 },
    ],
  };
  const out = withoutUserNamespaces(podmanDefault);
  const rulesFor = (name: string) => out.syscalls.filter((r) => r.names.includes(name));

  test('every other rule and setting is podman\'s, unchanged', () => {
    expect(out.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(out.archMap).toEqual(podmanDefault.archMap);
    expect(out.syscalls[0]).toEqual({ ...podmanDefault.syscalls[0]!, names: ['accept', 'read', 'setns', 'write'] });
    expect(rulesFor('bpf')).toEqual([podmanDefault.syscalls[2]!]);
  });

  test('unshare and clone: allowed without CLONE_NEWUSER, EPERM with it; clone3 ENOSYS (libc falls back to clone)', () => {
    const unshare = rulesFor('unshare');
    expect(unshare.map((r) => [r.action, r.errnoRet ?? null, JSON.stringify(r.args)])).toEqual([
      ['SCMP_ACT_ALLOW', null, JSON.stringify([{ index: 0, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }])],
      ['SCMP_ACT_ERRNO', 1, JSON.stringify([{ index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' }])],
    ]);
    // No unconditional allow survives, not even one reserved to CAP_SYS_ADMIN.
    for (const name of ['unshare', 'clone']) for (const r of rulesFor(name)) expect((r.args as unknown[]).length).toBe(1);
    // clone's flags are its first argument except on s390, where they are the second.
    expect(rulesFor('clone').map((r) => (r.args as { index: number }[])[0]!.index).sort()).toEqual([0, 0, 1, 1]);
    expect(rulesFor('clone3')).toEqual([expect.objectContaining({ action: 'SCMP_ACT_ERRNO', errnoRet: 38, args: [] })]);
  });

  test('a profile that allows by default, or is not a profile, is refused (the pod is not started on it)', () => {
    expect(() => withoutUserNamespaces({ ...podmanDefault, defaultAction: 'SCMP_ACT_ALLOW' })).toThrow(SeccompProfileError);
    expect(() => withoutUserNamespaces({ defaultAction: 'SCMP_ACT_ERRNO' })).toThrow(/unexpected shape \(syscalls/);
    expect(() => withoutUserNamespaces('[]')).toThrow(SeccompProfileError);
  });
});

describe('which cgroup limits podman can apply', () => {
  test('only cgroup v2 with memory and pids delegated makes --memory/--pids-limit effective', () => {
    expect(limitsSupport('v2', ['cpu', 'io', 'memory', 'pids']).effective).toBe(true);
    expect(limitsSupport('v1', [])).toMatchObject({ effective: false, detail: 'cgroup v1: rootless podman cannot apply --memory or --pids-limit' });
    expect(limitsSupport('v2', ['cpu', 'memory'])).toMatchObject({ effective: false, missing: ['pids'], detail: 'cgroup v2, but the pids controller is not delegated to this user' });
    expect(limitsSupport(undefined, undefined).effective).toBe(false);
  });

  test('where they are not effective, --memory/--pids-limit are not rendered and the nproc ulimit is', () => {
    const plan = renderPodman(buildPodSpec(inputs), { sharedRoot: '/r', cgroupLimits: false, user: '1000:1000', seccompProfile: '/r/seccomp.json' });
    for (const role of ['workspace', 'setup']) {
      const argv = plan.createContainers.find((c) => c.role === role)!.argv;
      expect(argv.some((a) => a.startsWith('--memory') || a.startsWith('--pids-limit'))).toBe(false);
      expect(argv).toContain('--ulimit=nproc=16384:16384');
    }
    // Where they are, every container gets them, the setup container too.
    const limited = renderPodman(buildPodSpec(inputs), { sharedRoot: '/r', cgroupLimits: true, user: '1000:1000', seccompProfile: '/r/seccomp.json' });
    for (const { role, argv } of limited.createContainers) expect(`${role} ${argv.filter((a) => a.startsWith('--pids-limit')).length}`).toBe(`${role} 1`);
  });
});
