/**
 * `peers up` refuses a run whose hard gate starts a toolchain the real workspace image lacks (a
 * Go gate: the image has git, Node.js, Python, no go), before it makes anything: exit 2, the gate,
 * the program and the fix named, no pod, no run clone. Without the refusal the run starts and
 * every tick's gate fails with `go: not found` until it ends stuck. Real rootless podman, the
 * compiled binary, as the unprivileged test user; fast, since nothing is started.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { podName } from '../../sandbox/pod-layout.ts';
import { projectKey } from '../../src/state/paths.ts';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');

const TURN = 'cat >/dev/null; true';
const CONFIG = `peers:
  - name: alpha
    tool: claude
    argv: ${JSON.stringify(['sh', '-c', TURN])}
  - name: beta
    tool: claude
    argv: ${JSON.stringify(['sh', '-c', TURN])}
budget:
  max_ticks: 4
  max_usd: 5
`;
const GOALS = `goals:
  - id: services-gosvc-tests-pass
    type: hard
    cmd: cd services/gosvc && go test ./...
    pass_when: exit_code == 0
`;

let root = '';
let repo = '';
let env: Record<string, string> = {};

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'toolchain-up', config: CONFIG, goals: GOALS }));
}, 5 * 60_000);

afterAll(() => {
  if (!root) return;
  removeRunLeftovers(projectKey(repo));
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)(`up with a gate the image cannot run${need.skipped}`, () => {
  test('refused before the pod: exit 2, the gate, the program and the fix named; nothing made', () => {
    const r = asUser([PEERS_BIN, 'up'], { cwd: repo, env, timeoutMs: 170_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('has no go');
    expect(r.stderr).toContain('gate services-gosvc-tests-pass (`cd services/gosvc && go test ./...`) needs go');
    expect(r.stderr).toContain('golang:1.22-bookworm keeps /usr/local/go/bin');
    expect(r.stderr).toContain('peers image build --force --base IMAGE');
    expect(r.stdout).not.toContain('creating pod');
    expect(podmanAsUser(['pod', 'exists', podName(projectKey(repo))]).code).toBe(1);
    const state = join(root, 'state');
    const run = asUser(['sh', '-c', `find ${state} -name clone -o -name state.json`], { env });
    expect(run.stdout.trim()).toBe('');
    expect(existsSync(join(repo, '.peers/goals.yaml'))).toBe(true);
  });
});
