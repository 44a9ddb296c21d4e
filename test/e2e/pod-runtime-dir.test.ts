/**
 * What a peer writes never lands in the user's runtime dir (SECURITY.md, "The sandbox pod", "Known
 * limit (storage)"). The workspace runner's socket and key directories are read-write in the
 * workspace for the whole run; they were bind mounts of $XDG_RUNTIME_DIR/peers/<project>/, on a
 * systemd host a small tmpfs that also holds podman's runtime state, so a peer could fill it and
 * make podman (and `peers down`) fail. They are now on disk beside the user's cache, and `peers
 * down` removes them.
 *
 * Real pod (`peers up` as the unprivileged test user): alpha's turn writes 20 MiB into each of them.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, uid, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

const FILL = 'head -c 20971520 /dev/zero > /run/peers/workspace/fill; head -c 20971520 /dev/zero > /run/peers/workspace-key/fill; touch /tmp/filled; sleep 600';
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ["sh", "-c", ${JSON.stringify(FILL)}]
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

/** Every regular file under `dir` with its size. */
function filesUnder(dir: string): { path: string; size: number }[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => join(dir, p)).filter((p) => statSync(p).isFile()).map((path) => ({ path, size: statSync(path).size }));
}
const runtimeDir = () => `/run/user/${uid()}/peers/${key}`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'rundir', config: CONFIG, goals: GOALS }));
  env = { ...env, XDG_CACHE_HOME: join(root, 'cache') };
  const r = asUser([PEERS_BIN, 'up'], { cwd: repo, env, timeoutMs: 180_000 });
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
});

afterAll(() => {
  if (!need.ok) return;
  if (key) removeRunLeftovers(key);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a peer filling its runner\'s socket and key directories', () => {
  test('writes nothing into the user\'s runtime dir, and `peers down` removes what it wrote', () => {
    const end = Date.now() + 120_000;
    while (podmanAsUser(['exec', `peers-${key}-workspace`, 'test', '-e', '/tmp/filled']).code !== 0 && Date.now() < end) Bun.sleepSync(500);
    const inRuntimeDir = filesUnder(runtimeDir()).reduce((n, f) => n + f.size, 0);
    expect(inRuntimeDir).toBeLessThan(1024 * 1024);
    // They went to disk, beside the user's cache.
    const written = filesUnder(join(root, 'cache')).filter((f) => f.path.endsWith('/fill'));
    expect(written.map((f) => f.size)).toEqual([20971520, 20971520]);
    const down = asUser([PEERS_BIN, 'down'], { cwd: repo, env, timeoutMs: 120_000 });
    expect(down.code, down.stderr).toBe(0);
    expect(filesUnder(root).filter((f) => f.path.endsWith('/fill'))).toEqual([]);
  });
});
