/**
 * The pod spec is the security design in data form. These tests pin the properties docs/ARCHITECTURE.md
 * promises — who sees the repo, the state dir, the credentials and each runner socket; that every
 * container is locked down; that only the egress container has a network — and that both renderers
 * carry them through unchanged.
 */
import { describe, expect, test } from 'bun:test';
import type { Role } from '../../../sandbox/pod-layout.ts';
import { allContainers, buildPodSpec, type ContainerSpec, type MountSpec } from '../../../sandbox/pod-spec.ts';
import { renderPodman } from '../../../sandbox/podman-render.ts';
import { matchRoute } from '../../../auth-proxy/api-routes.ts';
import type { PeerSpec } from '../../../src/config/config-schema.ts';
import { buildPeerArgv } from '../../../src/config/peer-argv.ts';
import { podInputs } from './pod-inputs-fixture.ts';

const inputs = podInputs({ secretFiles: [{ source: '/home/u/.claude/.credentials.json', target: '/auth/claude.json', readOnly: false }] });
const spec = buildPodSpec(inputs);
const byRole = (r: Role): ContainerSpec => allContainers(spec).find((c) => c.role === r)!;
const sources = (c: ContainerSpec) => c.mounts.map((m) => (m.kind === 'bind' ? m.source : m.kind === 'tmpfs' ? `tmpfs:${m.target}` : `${m.kind}:${m.name}`));
const mountAt = (c: ContainerSpec, target: string): MountSpec | undefined => c.mounts.filter((m) => m.target === target).at(-1);

describe('pod topology', () => {
  test('loop, workspace, auth and bridge share a loopback-only pod; setup and gates have their own empty netns; egress alone has a network', () => {
    expect(spec.network).toBe('none');
    const where = Object.fromEntries(spec.containers.map((c) => [c.role, `${c.placement}/${c.network}`]));
    expect(where).toEqual({ workspace: 'pod/none', auth: 'pod/none', bridge: 'pod/none', loop: 'pod/none', setup: 'own/none', gates: 'own/none', egress: 'own/slirp4netns' });
    // The loop reaches the others through Unix sockets and files only: on podman it needs no loopback.
    expect(spec.containers.filter((c) => c.podLoopback).map((c) => c.role).sort()).toEqual(['auth', 'bridge', 'workspace']);
  });

  test('setup and gates reach the egress proxy through their own private bridge, not the pod\'s', () => {
    for (const r of ['setup', 'gates'] as Role[]) {
      expect(byRole(r).command).toContain('--bridge');
      expect(byRole(r).command.at(-1)).toBe('127.0.0.1:3128=unix:/run/peers/egress-gates/egress.sock');
    }
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

  test('no container mounts the user\'s repository; the run clone is rw in the workspace only, .peers/ masked', () => {
    for (const c of allContainers(spec)) expect(sources(c).filter((x) => x === inputs.repoDir || x.startsWith(`${inputs.repoDir}/`))).toEqual([]);
    const ws = byRole('workspace');
    expect(mountAt(ws, '/work')).toMatchObject({ kind: 'bind', source: inputs.cloneDir, readOnly: false });
    expect(mountAt(ws, '/work/.peers')).toMatchObject({ kind: 'tmpfs', readOnly: true, mode: 0 });
    // The mask is declared after the clone so it is mounted on top of it.
    expect(ws.mounts.findIndex((m) => m.target === '/work/.peers')).toBeGreaterThan(ws.mounts.findIndex((m) => m.target === '/work'));
    expect(allContainers(spec).filter((c) => sources(c).includes(inputs.cloneDir)).map((c) => c.role)).toEqual(['workspace']);
  });

  test('the trusted mirror is read-only in setup and gates, which never see the clone; the loop reads both through its state dir', () => {
    for (const r of ['setup', 'gates'] as Role[]) {
      expect(mountAt(byRole(r), '/mirror')).toEqual({ kind: 'bind', source: inputs.mirrorDir, target: '/mirror', readOnly: true });
      expect(sources(byRole(r))).not.toContain(inputs.cloneDir);
    }
    expect(allContainers(spec).filter((c) => sources(c).includes(inputs.mirrorDir)).map((c) => c.role).sort()).toEqual(['gates', 'setup']);
  });

  test('the control-plane snapshot is read-only over the loop\'s state dir; nobody else sees it', () => {
    const loop = byRole('loop');
    expect(mountAt(loop, '/state/snapshot')).toEqual({ kind: 'bind', source: inputs.snapshotDir, target: '/state/snapshot', readOnly: true });
    expect(loop.mounts.findIndex((m) => m.target === '/state/snapshot')).toBeGreaterThan(loop.mounts.findIndex((m) => m.target === '/state'));
    expect(allContainers(spec).filter((c) => sources(c).includes(inputs.snapshotDir)).map((c) => c.role)).toEqual(['loop']);
  });

  test('only setup can write the dependency cache; gates get no cache at all', () => {
    const cacheHolders = allContainers(spec).filter((c) => c.mounts.some((m) => m.kind === 'volume')).map((c) => c.role);
    expect(cacheHolders).toEqual(['setup']);
    expect(mountAt(byRole('setup'), '/cache')).toMatchObject({ kind: 'volume', readOnly: false });
    expect(JSON.stringify(byRole('gates').env)).not.toMatch(/cache/i);
    // Checkouts pass from setup to gates through a dir only those two share.
    const sharers = allContainers(spec).filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === 'checkouts')).map((c) => c.role).sort();
    expect(sharers).toEqual(['gates', 'setup']);
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
    expect(sharers('setup')).toEqual(['loop', 'setup']);
    expect(sharers('egress')).toEqual(['bridge', 'egress']);
    expect(sharers('egress-gates')).toEqual(['egress', 'gates', 'setup']);
    // Only the container that creates a socket may write its dir; the others connect read-only.
    const writers = (name: string) => allContainers(spec).filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name && !m.readOnly)).map((c) => c.role);
    expect(writers('workspace')).toEqual(['workspace']);
    expect(writers('gates')).toEqual(['gates']);
    expect(writers('setup')).toEqual(['setup']);
    expect(writers('egress')).toEqual(['egress']);
    expect(writers('egress-gates')).toEqual(['egress']);
  });

  test('peers and gates are pointed at the bridge proxy; the loop gets both runner sockets', () => {
    expect(byRole('workspace').env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
    expect(byRole('gates').env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
    expect(byRole('loop').env.PEERS_RUNNER_WORKSPACE).toBe('/run/peers/workspace/runner.sock');
    expect(byRole('loop').env.PEERS_RUNNER_SETUP).toBe('/run/peers/setup/runner.sock');
    expect(byRole('loop').env.PEERS_RUNNER_GATES).toBe('/run/peers/gates/runner.sock');
    expect(byRole('loop').command).toEqual(['/usr/local/bin/peers', 'loop', '/state/run/clone', '--state-dir', '/state', '--workspace-dir', '/work', '--max-ticks', '5']);
    expect(byRole('egress').command).toContain('*.pypi.org');
  });
});

describe('when the loop stops, and the operator\'s controls', () => {
  const sharers = (sp: typeof spec, name: string, readOnly?: boolean) =>
    allContainers(sp).filter((c) => c.mounts.some((m) => m.kind === 'shared-dir' && m.name === name && (readOnly === undefined || m.readOnly === readOnly))).map((c) => c.role).sort();

  test('the lifeline: only the loop can create its socket; every other container can only connect to it', () => {
    expect(sharers(spec, 'lifeline', false)).toEqual(['loop']);
    expect(sharers(spec, 'lifeline', true)).toEqual(['auth', 'bridge', 'egress', 'gates', 'setup', 'workspace']);
    for (const c of allContainers(spec)) expect(c.env.PEERS_LIFELINE).toBe('/run/peers/lifeline/loop.sock');
    expect(spec.sharedDirs).toContain('lifeline');
  });

  test('the operator\'s control dir is read-only in the loop, over its state dir, and mounted nowhere else', () => {
    const control = `${inputs.stateDir}/control`;
    const loop = byRole('loop');
    expect(mountAt(loop, '/state/control')).toEqual({ kind: 'bind', source: control, target: '/state/control', readOnly: true });
    expect(loop.mounts.findIndex((m) => m.target === '/state/control')).toBeGreaterThan(loop.mounts.findIndex((m) => m.target === '/state'));
    expect(allContainers(spec).filter((c) => sources(c).some((x) => x === control || x.startsWith(`${inputs.stateDir}/`) && x !== inputs.snapshotDir && x !== inputs.cloneDir && x !== inputs.mirrorDir)).map((c) => c.role)).toEqual(['loop']);
  });

  test('the loop\'s console is kept in loop.log in the state dir (podman\'s k8s-file driver), so `peers logs` works after down', () => {
    expect(byRole('loop').logFile).toBe(`${inputs.stateDir}/loop.log`);
    expect(allContainers(spec).filter((c) => c.logFile).map((c) => c.role)).toEqual(['loop']);
    const argv = renderPodman(spec, { sharedRoot: '/r', cgroupLimits: true, user: '1:1', seccompProfile: '/r/s.json' }).createContainers.find((c) => c.role === 'loop')!.argv;
    expect(argv).toEqual(expect.arrayContaining(['--log-driver=k8s-file', `--log-opt=path=${inputs.stateDir}/loop.log`, '--log-opt=max-size=64mb']));
  });

  test('a rehearsal\'s model server is a pod member with its own dir (nobody else mounts it), started before the loop', () => {
    expect(allContainers(spec).map((c) => c.role)).not.toContain('model-server');
    const dir = `${inputs.stateDir}/rehearsal`;
    const rehearsal = buildPodSpec({ ...inputs, upstream: 'model-server', modelServerDir: dir });
    const ms = rehearsal.containers.find((c) => c.role === 'model-server')!;
    expect(ms.placement).toBe('pod');
    expect(ms.command).toEqual(['/usr/local/bin/peers', 'model-server', '--scenario', '/model-server/scenario.yaml', '--listen', '127.0.0.1:8090', '--log', '/model-server/served.jsonl']);
    expect(rehearsal.containers.filter((c) => sources(c).includes(dir)).map((c) => c.role)).toEqual(['model-server']);
    expect(ms.secretEnv).toEqual([]);
    const order = renderPodman(rehearsal, { sharedRoot: '/r', cgroupLimits: true, user: '1:1', seccompProfile: '/r/s.json' }).createContainers.map((c) => c.role);
    expect(order.indexOf('model-server')).toBeLessThan(order.indexOf('loop'));
    expect(order.indexOf('model-server')).toBeGreaterThan(order.indexOf('auth'));
  });

  test('codex is wired to the auth sidecar by the loop (it ignores OPENAI_BASE_URL); not with OAuth logins', () => {
    expect(byRole('loop').env.PEERS_CODEX_BASE_URL).toBe('http://127.0.0.1:8081/v1');
    // A ChatGPT login: codex goes to the sidecar's ChatGPT upstream, the same route the workspace's OPENAI_BASE_URL names.
    const chatgpt = buildPodSpec({ ...inputs, oauth: true, codexUpstream: 'chatgpt' }).containers;
    expect(chatgpt.find((c) => c.role === 'loop')!.env.PEERS_CODEX_BASE_URL).toBe('http://127.0.0.1:8082');
    expect(chatgpt.find((c) => c.role === 'workspace')!.env.OPENAI_BASE_URL).toBe('http://127.0.0.1:8082');
    expect(buildPodSpec({ ...inputs, oauth: true, codexUpstream: 'openai' }).containers.find((c) => c.role === 'loop')!.env.PEERS_CODEX_BASE_URL).toBe('http://127.0.0.1:8081/v1');
  });

  test('opencode in the pod reaches the sidecar at a route it forwards (its provider appends /messages, not /v1/messages)', () => {
    // opencode 1.18.33's Anthropic provider posts to `${ANTHROPIC_BASE_URL}/messages` (checked
    // against the installed binary; test/integration/real-cli/opencode-tick.test.ts gives it /v1).
    const loopEnv = byRole('loop').env;
    const workspaceEnv = byRole('workspace').env;
    const opencode = { name: 'opencode', tool: 'opencode', argv: ['opencode', 'run', '--format', 'json', '--auto'], prompt_mode: 'stdin', model: 'anthropic/claude-sonnet-4-6' } as PeerSpec;
    const cmd = buildPeerArgv(opencode, 'P', { hostEnv: loopEnv });
    const base = cmd.env.ANTHROPIC_BASE_URL ?? workspaceEnv.ANTHROPIC_BASE_URL!;
    const posted = new URL(`${base}/messages`);
    expect(`${posted.hostname}:${posted.port}`).toBe(new URL(workspaceEnv.ANTHROPIC_BASE_URL!).host);
    expect(matchRoute('anthropic', 'POST', posted.pathname)?.route.kind).toBe('billable');
    // Claude Code (it appends /v1/messages) keeps the workspace's URL; a base URL the user set wins.
    expect(buildPeerArgv({ ...opencode, name: 'claude', tool: 'claude', argv: ['claude', '-p'] }, 'P', { hostEnv: loopEnv }).env.ANTHROPIC_BASE_URL).toBeUndefined();
    expect(buildPeerArgv({ ...opencode, env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8089/v1' } }, 'P', { hostEnv: loopEnv }).env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:8089/v1');
  });
});

describe('podman rendering', () => {
  const plan = renderPodman(spec, { sharedRoot: '/run/user/1000/peers/demo', cgroupLimits: true, user: '1000:1000', seccompProfile: '/run/user/1000/peers/demo/seccomp.json', loopPidFile: '/run/user/1000/peers/demo/loop.pid' });
  const argvOf = (role: string) => plan.createContainers.find((c) => c.role === role)!.argv;

  test('the pod is created with no network and one keep-id user namespace; it stops once its last member exits', () => {
    expect(plan.createPod).toEqual(expect.arrayContaining(['pod', 'create', '--network=none', '--userns=keep-id', '--exit-policy=stop']));
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

  test('sidecars start before runners and the loop starts last; only the members that use the loopback join the pod, the loop is beside it without network', () => {
    expect(plan.createContainers.map((c) => c.role)).toEqual(['egress', 'bridge', 'auth', 'setup', 'gates', 'workspace', 'loop']);
    expect(argvOf('egress')).toContain('--network=slirp4netns');
    for (const role of ['setup', 'gates', 'loop']) expect(argvOf(role).slice(0, 3)).toEqual(['create', '--network=none', '--userns=keep-id']);
    for (const role of ['workspace', 'auth', 'bridge']) expect(argvOf(role).slice(0, 3)).toEqual(['create', '--pod', spec.podName]);
    for (const role of ['setup', 'gates', 'egress', 'loop']) expect(argvOf(role)).not.toContain('--pod');
    expect(plan.createContainers.filter((c) => c.inPod).map((c) => c.role)).toEqual(['bridge', 'auth', 'workspace']);
  });

  test('podman writes the loop\'s init PID to a file in the pod\'s runtime dir, which no container mounts (down signals the loop through it)', () => {
    expect(argvOf('loop')).toContain('--pidfile=/run/user/1000/peers/demo/loop.pid');
    for (const c of plan.createContainers) {
      if (c.role !== 'loop') expect(c.argv.join(' ')).not.toContain('--pidfile');
      // Subdirs of the runtime dir are mounted, never the dir the pidfile is in.
      expect(c.argv.join(' ')).not.toMatch(/source=\/run\/user\/1000\/peers\/demo(,|\/loop\.pid)/);
    }
  });

  test('the auth sidecar alone runs without a JIT and with an eager allocator sweep (less resident memory, BENCHMARKS.md Memory)', () => {
    expect(argvOf('auth')).toContain('BUN_JSC_useJIT=0');
    expect(argvOf('auth')).toContain('MIMALLOC_PURGE_HOLES_MIN_INTERVAL=0');
    for (const role of ['loop', 'workspace', 'bridge', 'egress', 'setup', 'gates']) expect(argvOf(role).join(' ')).not.toMatch(/BUN_JSC_|MIMALLOC_/);
  });

  test('secret env vars are passed by name only, never with a value', () => {
    const a = argvOf('auth');
    expect(a).toContain('ANTHROPIC_API_KEY');
    expect(a.join(' ')).not.toMatch(/ANTHROPIC_API_KEY=/);
  });

  test('the .peers mask renders as a read-only mode-000 tmpfs after the clone bind', () => {
    const a = argvOf('workspace').join(' ');
    expect(a).toContain(`type=bind,source=${inputs.cloneDir},destination=/work `);
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

  test("the pod's other members count the workspace's tasks and each other's (one user namespace, one uid): their nproc is the room of every member together", () => {
    const nproc = (role: string) => Number(renderPodman(spec, { sharedRoot: '/r', cgroupLimits: true, user: '1000:1000', seccompProfile: '/r/seccomp.json' }).createContainers.find((c) => c.role === role)!.argv.find((a) => a.startsWith('--ulimit=nproc='))!.split(/[=:]/)[2]);
    expect(nproc('workspace')).toBe(16384);
    // The workspace's, the auth sidecar's, the bridge's and a rehearsal's model server's (review: auth's tasks counted against the bridge's limit too).
    expect(nproc('auth')).toBe(16384 + 512 + 256 + 256);
    expect(nproc('bridge')).toBe(16384 + 512 + 256 + 256);
    // Beside the pod, each in a user namespace of its own: their own room only.
    expect(nproc('loop')).toBe(2048);
    expect(nproc('gates')).toBe(16384);
    expect(nproc('egress')).toBe(512);
  });
});
