/**
 * A peer's processes cannot take the pod's sidecars down (SECURITY.md, "The sandbox pod", "Every
 * container"). RLIMIT_NPROC counts the tasks of a uid in a user namespace, and the pod's members
 * (workspace, auth, bridge) share one, as the same uid: the workspace's tasks counted against the
 * bridge's nproc ulimit (256) and the auth sidecar's (512). A turn that started 600 processes — a
 * parallel build or test run does, threads count too — made the bridge abort (Bun could not start
 * a thread, exit 134) and left the peers without their proxy until `peers up` repaired the pod.
 *
 * Real pod (`peers up` as the unprivileged test user, cgroup limits or not): alpha's turn starts
 * 600 sleeping processes; the bridge and the auth sidecar keep running and answering.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

const TASKS = 600;
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ["sh", "-c", "for i in $(seq ${TASKS}); do sleep 600 & done; wait"]
  - name: beta
    tool: custom
    argv: ["sleep", "600"]
health:
  idle_timeout_s: 600
`;
const GOALS = `goals:
  - id: ok
    type: hard
    cmd: "true"
    pass_when: exit_code == 0
`;

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';

const cname = (role: string) => `peers-${key}-${role}`;
const execIn = (role: string, script: string) => podmanAsUser(['exec', cname(role), 'sh', '-c', script]);
const status = (role: string) => podmanAsUser(['inspect', '--type', 'container', '--format', '{{.State.Status}} {{.State.ExitCode}}', cname(role)]).stdout.trim();
/** From the workspace: one HTTP exchange on the pod's loopback, its status line. */
const ask = (port: number, request: string) =>
  podmanAsUser(['exec', cname('workspace'), 'node', '-e', `const s=require('net').connect(${port},'127.0.0.1',()=>s.write(${JSON.stringify(request)}));
    let b='';s.setTimeout(15000,()=>{console.log('timeout');process.exit()});s.on('data',d=>{b+=d;if(b.includes('\\r\\n'))s.destroy()});s.on('close',()=>console.log(b.split('\\r\\n')[0]));s.on('error',e=>console.log(e.code))`]).stdout.trim();

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'tasks', config: CONFIG, goals: GOALS }));
  const r = asUser([PEERS_BIN, 'up'], { cwd: repo, env, timeoutMs: 180_000 });
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
});

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)(`a peer's turn with ${TASKS} processes`, () => {
  test('leaves the bridge and the auth sidecar running and answering', () => {
    const sleeping = () => Number(execIn('workspace', 'grep -l "^sleep" /proc/[0-9]*/comm 2>/dev/null | wc -l').stdout.trim());
    const end = Date.now() + 120_000;
    while (sleeping() < TASKS && Date.now() < end) Bun.sleepSync(500);
    expect(sleeping()).toBeGreaterThanOrEqual(TASKS);
    // Each must start a process or a thread to answer: a sidecar at its limit aborts.
    for (let i = 0; i < 3; i++) {
      expect(ask(3128, 'CONNECT not-allowed.example:443 HTTP/1.1\r\nHost: not-allowed.example:443\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
      expect(ask(8080, 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n')).toBe('HTTP/1.1 403 Forbidden');
    }
    expect(execIn('auth', 'sh -c true && echo forked').stdout).toContain('forked');
    expect(execIn('bridge', 'sh -c true && echo forked').stdout).toContain('forked');
    expect(`bridge ${status('bridge')}, auth ${status('auth')}`).toBe('bridge running 0, auth running 0');
  });
});
