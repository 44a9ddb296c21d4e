/**
 * A run's life in the real pod (rootless podman, the compiled binary), with fake peers (shell
 * scripts): the operator's controls while it runs, what happens when it stops, and starting over.
 *  - `peers pause beta` before `up`: beta gets no turn while alpha works; alpha (a peer: full
 *    control of the workspace) tries every way it has to resume beta — the state dir, the control
 *    file, `peers resume` with the binary it can see — and beta still gets no turn; then the
 *    operator's `peers resume beta` brings it in;
 *  - on a running run, `up --max-runtime +1h` extends the cap live (the loop says so), a
 *    start-only flag is refused (exit 2), and `up --attach` follows the run to its end and exits
 *    as the run did (0: complete, --no-skeptic honoured);
 *  - when the loop stops, every other container of the pod stops too; `peers logs` works before
 *    and after `peers down`;
 *  - `up` on the complete run says it finished, why, and what to do (exit 0), with or without
 *    --attach, and starts nothing; `up --fresh` archives it (listed by `up` and `status`, readable
 *    with `report --state-dir`) and starts over.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, startAsUser, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(240_000);

let root: string;
let repo: string;
let env: Record<string, string>;
let key = '';
let stateDir: string;

const peers = (args: string[], timeoutMs = 180_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const cname = (role: string) => `peers-${key}-${role}`;
type TickLine = { event: string; tick: number; peer: string; success: boolean };
const tickLines = (dir = stateDir): TickLine[] =>
  existsSync(join(dir, 'runs.jsonl'))
    ? readFileSync(join(dir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.event === 'tick')
    : [];
const containers = () =>
  (JSON.parse(podmanAsUser(['ps', '-a', '--filter', `label=peers.project=${key}`, '--format', 'json']).stdout || '[]') as { Labels: Record<string, string>; State: string }[]).map((c) => ({ role: c.Labels['peers.role'] ?? 'infra', state: c.State }));
function waitFor(what: string, cond: () => boolean, ms = 180_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; loop log:\n${peers(['logs']).stdout.slice(-3000)}`);
    Bun.sleepSync(500);
  }
}

/**
 * One fake turn. alpha also attacks the operator's controls: it wants beta (its reviewer) back,
 * through everything the workspace offers, and records what each attempt did.
 */
const PEER_SCRIPT = `set -e
cat >/dev/null
me=$PEERS_PEER_NAME
cd /work
if [ "$me" = alpha ]; then
  {
    echo "state-dir=$(ls -d /state 2>/dev/null || echo absent)"
    echo "control-write=$( (mkdir -p /state/control && echo '{"version":1,"paused":{},"updated_at":"x"}' > /state/control/operator.json) 2>/dev/null && echo written || echo refused)"
    echo "lifeline-write=$( (touch /run/peers/lifeline/x) 2>/dev/null && echo written || echo refused)"
    echo "peers-resume=$(/usr/local/bin/peers resume beta /work >/dev/null 2>&1 && echo ran || echo failed)"
  } > /tmp/attempts.txt
  cp /tmp/attempts.txt attempts-$me.txt
fi
echo "tick by $me" >> work.log
git add -A
printf 'work by %s\\n\\n## Self-Review\\nappended one line\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$me" "$me" > /tmp/msg
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
  idle_timeout_s: 60
goals:
  timeout_s: 30
  convergence_n: 2
`;
// Done only when both peers worked: beta's pause keeps the run going until the operator resumes it.
const GOALS = `goals:
  - id: both-worked
    type: hard
    cmd: 'grep -q "tick by alpha" work.log && grep -q "tick by beta" work.log'
    pass_when: exit_code == 0
`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  ({ root, repo, env } = makeUserProject({ prefix: 'life', config: CONFIG, goals: GOALS }));
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('a run\'s life in the pod', () => {
  test('a peer paused by the operator sits out, and cannot resume itself from the workspace; the operator\'s resume brings it in', async () => {
    const pause = peers(['pause', 'beta']);
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toContain('paused beta');
    expect(pause.stdout).toContain('it applies when the run resumes');
    const up = peers(['up', '--no-skeptic']);
    expect(up.code, up.stderr).toBe(0);
    key = podKeyOf(up.stderr);
    stateDir = join(root, 'state', 'peers', key);
    waitFor('three turns by alpha', () => tickLines().length >= 3);
    // Every turn so far is alpha's (beta sits out); the loop may be past its third by now.
    expect(new Set(tickLines().map((t) => t.peer))).toEqual(new Set(['alpha']));
    const attempts = Object.fromEntries(readFileSync(join(stateDir, 'run', 'clone', 'attempts-alpha.txt'), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
    expect(attempts).toEqual({ 'state-dir': 'absent', 'control-write': 'refused', 'lifeline-write': 'refused', 'peers-resume': 'failed' });
    const st = JSON.parse(peers(['status', '--json']).stdout);
    expect(st.operator.paused).toEqual(['beta']);
    expect(st.peers.beta.paused_since).toEqual(expect.any(String));
    expect(peers(['status']).stdout).toContain('PAUSED by the operator');

    // The operator's live controls on the running run.
    const longer = peers(['up', '--max-runtime', '+1h']);
    expect(longer.code, longer.stderr).toBe(0);
    expect(longer.stdout).toContain('is already running');
    expect(longer.stdout).toContain('max runtime: 6h → 7h');
    waitFor('the loop to take the new cap', () => peers(['logs']).stdout.includes('peers: max runtime is now 7h (set by the operator)'));
    const startOnly = peers(['up', '--no-codemap']);
    expect(startOnly.code).toBe(2);
    expect(startOnly.stderr).toContain('--no-codemap takes effect only when the loop starts');
    // The same start flag the loop already runs with (the command run twice) changes nothing: no refusal.
    const same = peers(['up', '--no-skeptic']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('is already running');
    expect(same.stdout).toContain('--no-skeptic: already in effect');
    // One it does not, beside it, still needs a new start.
    const mixed = peers(['up', '--no-skeptic', '--no-codemap']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('the run is already running; --no-codemap takes effect only when the loop starts');

    // Attached to the running run (beta still paused, so it cannot end yet): shows its recent lines
    // first (the last one logged before the attach among them); once the operator resumes beta it
    // follows the run to its end and exits as it did.
    const lastBefore = peers(['logs']).stdout.trimEnd().split('\n').at(-1)!;
    expect(lastBefore).toMatch(/^peers: /);
    const attach = startAsUser([PEERS_BIN, 'up', '--attach'], { cwd: repo, env });
    await attach.waitForOutput(lastBefore, 60_000);
    expect(attach.output()).toContain('is already running');
    expect(peers(['resume', 'beta']).code).toBe(0);
    const attached = await attach.done(200_000);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout).toContain('the run stopped: complete');
    const peersBy = tickLines().map((t) => t.peer);
    expect(peersBy.slice(0, 3)).toEqual(['alpha', 'alpha', 'alpha']);
    expect(peersBy).toContain('beta');
    // --no-skeptic: complete without a skeptic turn.
    expect(readFileSync(join(stateDir, 'runs.jsonl'), 'utf8')).not.toContain('"skeptic":true');
  });

  test('when the loop stops, the pod\'s other containers stop too; its logs are readable before and after `peers down`', () => {
    waitFor('every container of the pod to stop', () => containers().every((c) => c.state !== 'running'), 60_000);
    const roles = containers().map((c) => c.role).sort();
    expect(roles).toEqual(expect.arrayContaining(['auth', 'bridge', 'egress', 'gates', 'loop', 'setup', 'workspace']));
    expect(peers(['logs']).stdout).toContain('peers: stopped: complete');
    const down = peers(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(containers()).toEqual([]);
    const after = peers(['logs']);
    expect(after.code).toBe(0);
    // The log is the output (pipeable), though the loop wrote these lines to its stderr.
    expect(after.stdout).toContain('peers: tick 1 peer=alpha starting...');
    expect(after.stdout).toContain('peers: stopped: complete');
    expect(after.stderr).not.toContain('tick 1');
  });

  test('`up` on the complete run says it finished, why and what to do (exit 0), also with --attach, and starts nothing', () => {
    for (const args of [['up'], ['up', '--attach']]) {
      const r = peers(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("the run has finished: complete: every hard gate green, the reviews and the skeptic's audit clean");
      expect(r.stdout).toMatch(/peers up (\S+ )?--fresh \(this run is archived, nothing is deleted\)/);
      expect(r.stdout).toContain('git merge peers/app');
      expect(containers()).toEqual([]);
    }
  });

  test('`up --fresh` archives the run (listed, readable) and starts over from the user\'s HEAD', () => {
    const ticksBefore = tickLines().length;
    const r = peers(['up', '--fresh', '--max-ticks', '1']);
    expect(r.code, r.stderr).toBe(0);
    const archive = r.stdout.match(/archived the old run \(complete, tick (\d+), \$0\.00\) to (\S+)/);
    expect(archive, r.stdout).not.toBeNull();
    expect(Number(archive![1])).toBe(ticksBefore);
    const archiveDir = archive![2]!;
    expect(archiveDir.startsWith(`${stateDir}.archive/`)).toBe(true);
    expect(tickLines(archiveDir).length).toBe(ticksBefore);
    const report = peers(['report', '--state-dir', archiveDir]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('**Outcome:** complete');
    // The new run: no pause carried over, its own first tick.
    waitFor('the new run to stop after one tick', () => existsSync(join(stateDir, 'last-stop-reason.txt')) && readFileSync(join(stateDir, 'last-stop-reason.txt'), 'utf8').startsWith('max_ticks'));
    expect(tickLines().map((t) => t.tick)).toEqual([1]);
    const st = JSON.parse(peers(['status', '--json']).stdout);
    expect(st.archives.map((a: { path: string; stop_reason: string }) => [a.path, a.stop_reason])).toEqual([[archiveDir, 'complete']]);
    expect(st.operator.paused).toEqual([]);
    expect(peers(['down']).code).toBe(0);
  });
});
