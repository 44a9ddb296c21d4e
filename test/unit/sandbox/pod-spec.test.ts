/**
 * The pod spec is the security design in data form. These tests pin the properties DESIGN §1
 * promises — who sees the repo, the state dir, the credentials and each runner socket; that every
 * container is locked down; that only the egress container has a network — and that both renderers
 * carry them through unchanged.
 */
import { describe, expect, test } from 'bun:test';
import { allContainers, buildPodSpec, type ContainerSpec, type MountSpec, type PodInputs, type Role } from '../../../sandbox/pod-spec.ts';
import { renderPodman } from '../../../sandbox/podman-render.ts';

const inputs: PodInputs = {
  project: 'demo-1a2b3c4d',
  repoDir: '/home/u/src/demo',
  stateDir: '/home/u/.local/state/peers/demo-1a2b3c4d',
  binaryPath: '/home/u/bin/peers',
  image: 'localhost/peers-workspace:latest',
  allow: ['registry.npmjs.org', '*.pypi.org'],
  secretEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
  secretFiles: [{ source: '/home/u/.claude/.credentials.json', target: '/auth/claude.json', readOnly: false }],
  loopArgs: ['--max-ticks', '5'],
};
const spec = buildPodSpec(inputs);
const byRole = (r: Role): ContainerSpec => allContainers(spec).find((c) => c.role === r)!;
const sources = (c: ContainerSpec) => c.mounts.map((m) => (m.kind === 'bind' ? m.source : m.kind === 'tmpfs' ? `tmpfs:${m.target}` : `${m.kind}:${m.name}`));
const mountAt = (c: ContainerSpec, target: string): MountSpec | undefined => c.mounts.filter((m) => m.target === target).at(-1);

describe('pod topology', () => {
  test('loop, workspace, auth and bridge share a loopback-only pod; gates have their own empty netns; egress alone has a network', () => {
    expect(spec.network).toBe('none');
    const where = Object.fromEntries(spec.containers.map((c) => [c.role, `${c.placement}/${c.network}`]));
    expect(where).toEqual({ workspace: 'pod/none', auth: 'pod/none', bridge: 'pod/none', loop: 'pod/none', gates: 'own/none', egress: 'own/slirp4netns' });
  });

  test('gates reach the egress proxy through their own private bridge, not the pod\'s', () => {
    expect(byRole('gates').command).toContain('--bridge');
    expect(byRole('gates').command.at(-1)).toBe('127.0.0.1:3128=unix:/run/peers/egress/egress.sock');
  });

  test('every container: read-only root, all capabilities dropped, no privilege gain, limits, binary ro', () => {
    for (const c of allContainers(spec)) {
      expect(c.readOnlyRoot).toBe(true);
      expect(c.capDrop).toEqual(['ALL']);
      expect(c.noNewPrivileges).toBe(true);
      expect(c.memoryMiB).toBeGreaterThan(0);
      expect(c.pidsLimit).toBeGreaterThan(0);
      expect(mountAt(c, '/usr/local/bin/peers')).toEqual({ kind: 'bind', source: inputs.binaryPath, target: '/usr/local/bin/peers', readOnly: true });
      expect(mountAt(c, '/tmp')?.kind).toBe('tmpfs');
    }
  });

  test('the state dir is mounted in the loop and nowhere else', () => {
    const holders = allContainers(spec).filter((c) => sources(c).includes(inputs.stateDir)).map((c) => c.role);
    expect(holders).toEqual(['loop']);
  });

  test('the repo is rw in workspace with .peers/ masked, ro in gates (masked), absent from sidecars', () => {
    const ws = byRole('workspace');
    expect(mountAt(ws, '/work')).toMatchObject({ kind: 'bind', source: inputs.repoDir, readOnly: false });
    expect(mountAt(ws, '/work/.peers')).toMatchObject({ kind: 'tmpfs', readOnly: true, mode: 0 });
    // The mask is declared after the repo so it is mounted on top of it.
    expect(ws.mounts.findIndex((m) => m.target === '/work/.peers')).toBeGreaterThan(ws.mounts.findIndex((m) => m.target === '/work'));
    expect(mountAt(byRole('gates'), '/work')).toMatchObject({ readOnly: true });
    expect(mountAt(byRole('gates'), '/work/.peers')).toMatchObject({ kind: 'tmpfs', readOnly: true });
    for (const r of ['auth', 'bridge', 'egress'] as Role[]) expect(sources(byRole(r))).not.toContain(inputs.repoDir);
  });

  test('credentials (env by name and files) reach the auth container only', () => {
    for (const c of allContainers(spec)) {
      const hasFile = sources(c).includes('/home/u/.claude/.credentials.json');
      expect(hasFile).toBe(c.role === 'auth');
      expect(c.secretEnv.length > 0).toBe(c.role === 'auth');
      // Never a real value in the data: the workspace sees placeholders pointing at the sidecar.
      expect(JSON.stringify(c.env)).not.toMatch(/sk-|credentials\.json/);
    }
    expect(byRole('workspace').env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8080');
  });

  test('each runner socket dir is shared by the loop and that runner only', () => {
    const sharers = (name: string) => allContainers(spec).filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name)).map((c) => c.role).sort();
    expect(sharers('workspace')).toEqual(['loop', 'workspace']);
    expect(sharers('gates')).toEqual(['gates', 'loop']);
    expect(sharers('egress')).toEqual(['bridge', 'egress', 'gates']);
    // Only the container that creates a socket may write its dir; the others connect read-only.
    const writers = (name: string) => allContainers(spec).filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name && !m.readOnly)).map((c) => c.role);
    expect(writers('workspace')).toEqual(['workspace']);
    expect(writers('gates')).toEqual(['gates']);
    expect(writers('egress')).toEqual(['egress']);
  });

  test('peers and gates are pointed at the bridge proxy; the loop gets both runner sockets', () => {
    expect(byRole('workspace').env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
    expect(byRole('gates').env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
    expect(byRole('loop').env.PEERS_RUNNER_WORKSPACE).toBe('/run/peers/workspace/runner.sock');
    expect(byRole('loop').command).toEqual(['/usr/local/bin/peers', 'loop', '/work', '--state-dir', '/state', '--max-ticks', '5']);
    expect(byRole('egress').command).toContain('*.pypi.org');
  });
});

describe('podman rendering', () => {
  const plan = renderPodman(spec, { sharedRoot: '/run/user/1000/peers/demo', cgroupLimits: true, user: '1000:1000', seccompProfile: '/run/user/1000/peers/demo/seccomp.json' });
  const argvOf = (role: string) => plan.createContainers.find((c) => c.role === role)!.argv;

  test('the pod is created with no network and one keep-id user namespace', () => {
    expect(plan.createPod).toEqual(expect.arrayContaining(['pod', 'create', '--network=none', '--userns=keep-id']));
  });

  test('every container is created with the lockdown flags and limits, as the invoking user', () => {
    for (const { argv } of plan.createContainers) {
      expect(argv[argv.indexOf('--user') + 1]).toBe('1000:1000');
      expect(argv).toEqual(expect.arrayContaining(['--cap-drop=ALL', '--security-opt=no-new-privileges', '--read-only']));
      // An init (catatonit) is PID 1 and reaps orphans; peers itself never is (the e2e proves reaping).
      expect(argv).toContain('--init');
      expect(argv).not.toContain('--init=false');
      expect(argv.some((a) => a.startsWith('--memory='))).toBe(true);
      expect(argv.some((a) => a.startsWith('--pids-limit='))).toBe(true);
    }
  });

  test('sidecars start before runners and the loop starts last; only pod members join the pod', () => {
    expect(plan.createContainers.map((c) => c.role)).toEqual(['egress', 'bridge', 'auth', 'gates', 'workspace', 'loop']);
    expect(argvOf('egress')).toContain('--network=slirp4netns');
    expect(argvOf('gates').slice(0, 3)).toEqual(['create', '--network=none', '--userns=keep-id']);
    for (const role of ['loop', 'workspace', 'auth', 'bridge']) expect(argvOf(role).slice(0, 3)).toEqual(['create', '--pod', spec.podName]);
    for (const role of ['gates', 'egress']) expect(argvOf(role)).not.toContain('--pod');
  });

  test('secret env vars are passed by name only, never with a value', () => {
    const a = argvOf('auth');
    expect(a).toContain('ANTHROPIC_API_KEY');
    expect(a.join(' ')).not.toMatch(/ANTHROPIC_API_KEY=/);
  });

  test('the .peers mask renders as a read-only mode-000 tmpfs after the repo bind', () => {
    const a = argvOf('workspace').join(' ');
    expect(a).toContain(`type=bind,source=${inputs.repoDir},destination=/work `);
    expect(a).toContain('type=tmpfs,destination=/work/.peers,tmpfs-size=1m,tmpfs-mode=0000,notmpcopyup,ro=true');
    expect(a.indexOf('destination=/work/.peers')).toBeGreaterThan(a.indexOf('destination=/work '));
  });

  test('without cgroup v2 delegation the pids cap falls back to an nproc ulimit', () => {
    const v1 = renderPodman(spec, { sharedRoot: '/r', cgroupLimits: false, user: '1000:1000', seccompProfile: '/r/seccomp.json' });
    for (const { argv } of v1.createContainers) {
      expect(argv.some((a) => a.startsWith('--memory='))).toBe(false);
      expect(argv.some((a) => a.startsWith('--ulimit=nproc='))).toBe(true);
    }
  });
});
