/**
 * A sidecar killed in the middle of a real pod run (`peers up` as an unprivileged user, rootless
 * podman, fake peers that are shell scripts): the loop notices (the container's lifeline connection
 * closes), holds the run instead of burning ticks, and records it; `peers status`, `status --json`
 * and `ls` say `degraded: egress down`; `peers up` restarts the dead containers instead of
 * answering "already running", and the run goes on to complete (src/loop/pod-health.ts,
 * sandbox/pod-repair.ts).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

let root: string;
let repo: string;
let env: Record<string, string>;
let key: string;
let stateDir: string;

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const cname = (role: string) => `peers-${key}-${role}`;
type Row = { path: string; status: string; tick: number | null; stop_reason: string | null; degraded: string[] };
const lsRow = (): Row => (JSON.parse(peers(['ls', '--json']).stdout) as { projects: Row[] }).projects.find((p) => p.path === repo)!;
const state = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { tick: number; degraded: { down: string[]; since: string } | null };
type TickLine = { event: string; tick: number; peer: string; success: boolean; ts: string; pod_down?: string[] };
const tickLines = (): TickLine[] =>
  existsSync(join(stateDir, 'runs.jsonl'))
    ? readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.event === 'tick')
    : [];
function waitFor(what: string, cond: () => boolean, ms = 120_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; loop log:\n${peers(['logs']).stdout.slice(-2000)}`);
    Bun.sleepSync(300);
  }
}

/** One small piece of work per turn, handed off. */
const PEER_SCRIPT = `set -e
cat >/dev/null
cd /work
echo "tick by $PEERS_PEER_NAME" >> work.txt
git add work.txt
printf 'work by %s\\n\\n## Self-Review\\nappended one line\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$PEERS_PEER_NAME" "$PEERS_PEER_NAME" > /tmp/msg
git commit -q -F /tmp/msg
`;
const CONFIG = `peers:
  - name: alpha
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER_SCRIPT])}
  - name: beta
    tool: custom
    argv: ${JSON.stringify(['sh', '-c', PEER_SCRIPT])}
health:
  idle_timeout_s: 120
goals:
  timeout_s: 30
  stuck_halt_after: 1000
  convergence_n: 2
`;
// Green after four turns: the run is under way when the sidecars die, and finishes after.
const GOALS = `goals:
  - id: four-turns
    type: hard
    cmd: 'test "$(grep -c "tick by" work.txt)" -ge 4'
    pass_when: exit_code == 0
`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'sidecar', config: CONFIG, goals: GOALS }));
  const r = peers(['up', '--max-ticks', '40']);
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
  stateDir = join(root, 'state', 'peers', key);
}, 10 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a sidecar dies during a pod run', () => {
  test('egress then auth killed: the run holds and says degraded naming them; peers up restarts them; the run completes', () => {
    waitFor('the first tick', () => tickLines().length >= 1);
    // SIGKILL, as the OOM killer or a crash would.
    expect(podmanAsUser(['kill', cname('egress')]).code).toBe(0);
    waitFor('the loop to record egress down', () => state().degraded?.down.join() === 'egress');
    const held = state();
    const ticksWhenHeld = held.tick;
    const row = lsRow();
    expect(row.status).toBe('running');
    expect(row.degraded).toEqual(['egress']);
    expect(peers(['ls']).stdout).toContain('degraded: egress down');
    const status = peers(['status']);
    expect(status.stdout).toContain('Status: running (degraded: egress down');
    // Why it stopped, from podman, where the user looks first (a sidecar exiting at start stops again).
    expect(status.stdout).toContain('  egress stopped: exit 137 (killed)');
    expect((JSON.parse(peers(['status', '--json']).stdout) as { down_because: { role: string; why: string }[] }).down_because).toEqual([{ role: 'egress', why: expect.stringMatching(/^exit 137 \(killed\)/) }]);
    expect((JSON.parse(peers(['status', '--json']).stdout) as { degraded: string[] }).degraded).toEqual(['egress']);

    expect(podmanAsUser(['kill', cname('auth')]).code).toBe(0);
    waitFor('the loop to record auth down too', () => state().degraded?.down.join() === 'auth,egress');
    expect(lsRow().degraded).toEqual(['auth', 'egress']);
    // Held: not one tick since the loop saw egress go (both sidecars were down in between).
    expect(state().tick).toBe(ticksWhenHeld);
    expect(tickLines().length).toBe(ticksWhenHeld);
    expect(peers(['logs']).stdout).toContain('degraded: egress down: the run holds');

    // `up` repairs the pod instead of answering "already running".
    const up = peers(['up']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('restarted auth, egress, which had stopped');
    // Each restart says why the container had stopped (here: killed), which was only in `podman logs`.
    expect(up.stderr).toContain('restarting egress (it had stopped while the run was running: exit 137 (killed)');
    expect(up.stderr).toContain('restarting auth (it had stopped while the run was running: exit 137 (killed)');
    expect(up.stdout).not.toContain('already running');
    waitFor('the loop to see them back', () => state().degraded === null);
    expect(lsRow().degraded).toEqual([]);

    waitFor('the run to complete', () => lsRow().status === 'stopped', 150_000);
    expect(lsRow().stop_reason).toBe('complete');
    const ticks = tickLines();
    expect(ticks.length).toBeGreaterThan(ticksWhenHeld);
    expect(ticks.map((t) => t.tick)).toEqual(ticks.map((_, i) => i + 1));
    // No turn was lost to the dead sidecars: every tick handed off, none started while held.
    expect(ticks.every((t) => t.success && !t.pod_down)).toBe(true);
    expect(ticks.filter((t) => Date.parse(t.ts) > Date.parse(held.degraded!.since)).every((t) => t.tick > ticksWhenHeld)).toBe(true);
    expect(peers(['logs']).stdout).toMatch(/(is|are) back: the run goes on/);
  });
});
