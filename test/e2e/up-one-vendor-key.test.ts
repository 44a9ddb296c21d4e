/**
 * `peers up` with the keys a user's peers need and no others: claude peers with ANTHROPIC_API_KEY
 * alone, and `custom` peers with no key at all. The auth sidecar must start with what it was given
 * (it used to demand OPENAI_API_KEY as well, exit 2 inside the pod, and the loop held the run as
 * "auth down" for ever: `--attach` never returned). Real podman, the compiled binary, as the
 * unprivileged test user; the peers are scripts that commit a handoff, so no vendor is called.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { projectKey } from '../../src/state/paths.ts';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, removeRunLeftovers, startAsUser, type UserProject } from './podman-user.ts';
import { requires } from '../requirements.ts';

const need = requires('root', 'podman');

const TURN = `cat >/dev/null; echo "$PEERS_PEER_NAME" >> work.log; git add -A; printf 'w\\n\\n## Self-Review\\nok\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$PEERS_PEER_NAME" | git commit -q -F -`;
const config = (tool: string) => `peers:
  - name: alpha
    tool: ${tool}
    argv: ${JSON.stringify(['sh', '-c', TURN])}
  - name: beta
    tool: ${tool}
    argv: ${JSON.stringify(['sh', '-c', TURN])}
budget:
  max_usd: 5
`;
const GOALS = `goals:
  - id: trivial
    type: hard
    cmd: 'true'
    pass_when: exit_code == 0
`;

const projects: UserProject[] = [];

beforeAll(() => {
  if (need.ok) ensurePodmanReady();
});

afterAll(() => {
  for (const p of projects) {
    removeRunLeftovers(projectKey(p.repo));
    rmSync(p.root, { recursive: true, force: true });
  }
});

/** `peers up --attach --max-ticks 1` as the user with exactly `keys`: its output once it ends. */
async function upOneTick(tool: string, keys: Record<string, string>) {
  const p = makeUserProject({ prefix: `one-key-${tool}`, config: config(tool), goals: GOALS });
  projects.push(p);
  const { ANTHROPIC_API_KEY: _a, OPENAI_API_KEY: _o, ...env } = p.env;
  const up = startAsUser([PEERS_BIN, 'up', '--attach', '--max-ticks', '1', '--no-skeptic'], { cwd: p.repo, env: { ...env, ...keys } });
  // The old sidecar exited at start and the loop waited 120 s for it, then held: well past this.
  const r = await up.done(90_000);
  const branch = asUser(['git', 'log', '--format=%s', 'peers/app'], { cwd: p.repo, env });
  return { r, out: r.stdout + r.stderr, branch: branch.stdout };
}

describe.skipIf(!need.ok)(`up with only the keys the peers need${need.skipped}`, () => {
  test('claude peers with ANTHROPIC_API_KEY alone: the auth sidecar starts, tick 1 hands off, the commit reaches peers/app', async () => {
    const { r, out, branch } = await upOneTick('claude', { ANTHROPIC_API_KEY: 'sk-ant-unused' });
    expect(out).not.toContain('auth down');
    expect(out).toContain('tick 1 handoff');
    expect(out).toContain('stopped: max_ticks');
    expect(branch.split('\n')[0]).toBe('w');
    expect(r.code, out).toBe(0);
  }, 150_000);

  test('custom peers with no key at all: the same', async () => {
    const { r, out, branch } = await upOneTick('custom', {});
    expect(out).not.toContain('auth down');
    expect(out).toContain('tick 1 handoff');
    expect(branch.split('\n')[0]).toBe('w');
    expect(r.code, out).toBe(0);
  }, 150_000);
});
