/**
 * The real loop in the real pod (`peers up` as an unprivileged user, rootless podman), with fake
 * peers that are shell scripts: each tick a peer records where it runs, leaves an uncommitted file
 * and a server behind in the workspace, then commits its work with handoff trailers. We check:
 *  - the peer process runs in the WORKSPACE container, on the run clone (it sees the workspace
 *    runner, not the loop; no state dir, an empty .peers/, only its own socket dir, the vendor URLs
 *    but not the loop's settings), and the user's repository never changes: the work comes back
 *    as the branch peers/app;
 *  - the hard gates the loop records run in the GATES container on a clean checkout of HEAD, after
 *    the project's `setup`: committed work passes; the uncommitted file and the server a turn
 *    leaves do not make a gate pass (the server is killed when its turn ends);
 *  - `peers down` in the middle of a tick, then `peers up`, resumes: tick numbers continue, no tick
 *    is lost or repeated, state.json stays valid; a killed loop shows as crashed, and `up` after
 *    the crash resumes too;
 *  - orphans the peers leave behind are reaped (an init is PID 1, not peers).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { asUser, ensurePodmanReady, makeUserProject, PEERS_BIN, podmanAsUser, removeRunLeftovers, podKeyOf } from './podman-user.ts';
import { requires } from '../requirements.ts';

/** Skipped, with the reason printed, where root or podman is missing; an error under PEERS_REQUIRE_ALL=1. */
const need = requires('root', 'podman');

setDefaultTimeout(180_000);

let root: string;
let repo: string;
let env: Record<string, string>;
let key: string;
let stateDir: string;
let clone: string;
/** Commits before the first tick (peers init's, ours). */
let baseCommits = 0;

const peers = (args: string[], timeoutMs = 120_000) => asUser([PEERS_BIN, ...args], { cwd: repo, env, timeoutMs });
const cname = (role: string) => `peers-${key}-${role}`;
const execIn = (role: string, script: string) => podmanAsUser(['exec', cname(role), 'sh', '-c', script]);
const lsRow = () => (JSON.parse(peers(['ls', '--json']).stdout).projects as { path: string; status: string; tick: number | null; stop_reason: string | null }[]).find((p) => p.path === repo)!;
const state = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
type TickLine = { event: string; tick: number; peer: string; success: boolean; findings?: { kind: string }[]; interrupted?: boolean };
const tickLines = (): TickLine[] =>
  existsSync(join(stateDir, 'runs.jsonl'))
    ? readFileSync(join(stateDir, 'runs.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.event === 'tick')
    : [];
function waitFor(what: string, cond: () => boolean, ms = 120_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; loop log:\n${peers(['logs']).stdout.slice(-2000)}`);
    Bun.sleepSync(500);
  }
}

/** One fake peer turn. Runs wherever the loop's runner puts it; records the evidence of where. */
const PEER_SCRIPT = `set -e
cat >/dev/null
me=$PEERS_PEER_NAME
cd /work
echo $$ > .in-tick
procs() { for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done; }
{
  echo "workspace-runner=$(procs | grep -c '^/usr/local/bin/[p]eers runner --socket /run/peers/workspace/runner.sock')"
  echo "loop-process=$(procs | grep -c '^/usr/local/bin/[p]eers loop /work')"
  if ls /state >/dev/null 2>&1; then echo state=readable; else echo state=absent; fi
  echo "peers-dir-entries=$(ls -A .peers | wc -l)"
  echo "sockets=$(ls /run/peers | tr '\\n' ' ')"
  echo "vendor-url=$ANTHROPIC_BASE_URL"
  echo "loop-state-dir-env=\${PEERS_STATE_DIR:-unset}"
} > .evidence-$me.tmp
# Renamed whole: the test reads the file while the run goes on, and the next turn rewrites it.
mv -f .evidence-$me.tmp evidence-$me.txt
echo "only in the working tree" > marker.txt
setsid node -e "require('net').createServer(s=>s.end('tests pass')).listen(5077,'127.0.0.1')" >/dev/null 2>&1 </dev/null &
sleep 3
echo "tick by $me" >> work.log
git add work.log evidence-$me.txt
printf 'work by %s\\n\\n## Self-Review\\nappended one line\\n\\nPeer: %s\\nPeer-Status: handoff\\nSelf-Review: pass\\n' "$me" "$me" > /tmp/msg
git commit -q -F /tmp/msg
rm -f .in-tick
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
setup: 'echo installed > .deps-installed && mkdir -p "$npm_config_cache" && echo run >> "$npm_config_cache/setup-runs" && wc -l < "$npm_config_cache/setup-runs" > .setup-runs-seen'
`;
const hard = (id: string, cmd: string) => `  - id: ${id}\n    type: hard\n    cmd: ${JSON.stringify(cmd)}\n    pass_when: exit_code == 0\n`;
const GOALS = `goals:
${hard('committed-work', 'grep -q "tick by" work.log')}${hard('uncommitted-file', 'test -f marker.txt')}${hard('leftover-server', `node -e "require('net').connect(5077,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"`)}${hard('in-gates-container', 'test -d /run/peers/gates && test ! -e /cache && test ! -e /state && test ! -e /run/peers/workspace && test ! -w /mirror')}${hard('setup-ran', 'grep -qx installed .deps-installed')}${hard('setup-cache-persists', 'test "$(cat .setup-runs-seen)" -ge 1 && test -z "$npm_config_cache"')}`;

beforeAll(() => {
  if (!need.ok) return;
  ensurePodmanReady();
  // marker.txt is ignored like a build artifact: the tree is clean for the handoff, yet the file
  // sits in the workspace where a gate run there would find it.
  ({ root, repo, env } = makeUserProject({ prefix: 'loop', config: CONFIG, goals: GOALS, ignored: ['marker.txt', '.in-tick'] }));
  baseCommits = Number(asUser(['git', '-C', repo, 'rev-list', '--count', 'HEAD']).stdout.trim());
  const r = peers(['up', '--max-ticks', '50']);
  expect(r.code, r.stderr).toBe(0);
  key = podKeyOf(r.stderr);
  stateDir = join(root, 'state', 'peers', key);
  clone = join(stateDir, 'run', 'clone');
}, 20 * 60_000);

afterAll(() => {
  if (!need.ok) return;
  if (key) {
    removeRunLeftovers(key);
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!need.ok)('the real loop in the pod', () => {
  test('peer CLIs run in the workspace container on the run clone: no state dir, masked .peers/, its own socket only', () => {
    waitFor('two completed ticks', () => tickLines().filter((t) => t.success).length >= 2);
    // The work is in the run clone; the user's working tree never sees it.
    expect(existsSync(join(repo, 'evidence-alpha.txt'))).toBe(false);
    for (const peer of ['alpha', 'beta']) {
      const ev = Object.fromEntries(readFileSync(join(clone, `evidence-${peer}.txt`), 'utf8').trim().split('\n').map((l) => l.split('=') as [string, string]));
      expect(ev).toEqual({
        'workspace-runner': '1',
        'loop-process': '0',
        state: 'absent',
        'peers-dir-entries': '0',
        // Its own runner socket dir, and the loop's lifeline (read-only).
        sockets: 'lifeline workspace workspace-key ',
        'vendor-url': 'http://127.0.0.1:8080',
        'loop-state-dir-env': 'unset',
      });
    }
    // The same check from the loop's side: it does see the state dir and its own process.
    expect(execIn('loop', 'ls /state').stdout).toContain('state.json');
  });

  test('gates run in the gates container on a clean checkout after `setup`: uncommitted files and leftover servers do not count', () => {
    // The workspace really has the file in the tree. The server each turn leaves (`setsid`) is
    // killed when that turn ends (the workspace runner's --reap-after-turns), so it never runs into
    // another peer's turn: every successful tick records it as left running. (That the gates
    // container never reaches the workspace's loopback: sandbox-pod.test.ts, with a server podman
    // starts there.)
    expect(existsSync(join(clone, 'marker.txt'))).toBe(true);
    const done = tickLines().filter((t) => t.success);
    expect(done.length).toBeGreaterThan(0);
    for (const t of done) expect((t.findings ?? []).map((f) => f.kind)).toContain('left-running');
    waitFor('gates recorded for a HEAD with work on it', () => state().gates.results['committed-work']?.state === 'pass');
    const results = state().gates.results as Record<string, { state: string; diagnostic: string }>;
    expect(Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.state]))).toEqual({
      'committed-work': 'pass',
      'uncommitted-file': 'fail',
      'leftover-server': 'fail',
      'in-gates-container': 'pass',
      'setup-ran': 'pass',
      // setup's download cache goes to the gates' cache volume (writable, kept across HEADs).
      'setup-cache-persists': 'pass',
    });
    // One line per probe: the volume outlived the earlier HEADs' throwaway checkouts; only the
    // setup container has it.
    expect(Number(execIn('setup', 'wc -l < /cache/npm/setup-runs').stdout.trim())).toBeGreaterThanOrEqual(2);
    expect(execIn('gates', 'test -e /cache').code).not.toBe(0);
    // `setup` wrote into the throwaway checkout, never into the clone or the user's repository.
    expect(existsSync(join(repo, '.deps-installed'))).toBe(false);
    expect(existsSync(join(clone, '.deps-installed'))).toBe(false);
  });

  test('`peers down` in the middle of a tick, then `peers up`: the run resumes where it stopped', () => {
    waitFor('a tick in progress after at least two', () => tickLines().length >= 2 && existsSync(join(clone, '.in-tick')));
    const t0 = Date.now();
    const r = peers(['down', '--grace', '20']);
    console.log(`e2e: peers down in the middle of a peer turn took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stop reason: interrupted');
    expect(r.stdout).toContain('results: branch peers/app');
    expect(r.stdout).toContain('your repository: unchanged since `peers up`');
    const before = tickLines();
    const savedTick = state().tick;
    expect(savedTick).toBe(before.length);
    // The turn down stopped is recorded as that peer's, interrupted, with no commit (it had none yet).
    expect(before.at(-1)).toMatchObject({ interrupted: true, success: false });
    expect(lsRow()).toMatchObject({ status: 'stopped', stop_reason: 'interrupted', tick: savedTick });
    // `peers status NAME`: the same reconciled status, plus the gates still open at the saved HEAD.
    const st = JSON.parse(peers(['status', 'app', '--json']).stdout);
    expect(st).toMatchObject({ name: 'app', status: 'stopped', stop_reason: 'interrupted', tick: savedTick });
    expect(st.open_gates).toEqual(expect.arrayContaining(['uncommitted-file', 'leftover-server']));
    expect(st.open_gates).not.toContain('committed-work');
    // The interrupted turn left no commit: the branch is at the last completed tick's.
    expect(asUser(['git', '-C', repo, 'log', '-1', '--format=%s', 'peers/app']).stdout.trim()).toMatch(/^work by (alpha|beta)$/);
    expect(asUser(['git', '-C', repo, 'rev-list', '--count', 'HEAD']).stdout.trim()).toBe(String(baseCommits));

    const t1 = Date.now();
    const again = peers(['up', '--max-ticks', '2']);
    expect(again.code, again.stderr).toBe(0);
    waitFor('the first resumed tick', () => tickLines().length > savedTick);
    console.log(`e2e: peers up → first resumed tick done (gates in the gates container + a 3 s fake turn) ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    waitFor('the resumed run to stop after two more ticks', () => lsRow().status === 'stopped' && lsRow().stop_reason === 'max_ticks');
    const after = tickLines();
    expect(after.map((t) => t.tick)).toEqual(Array.from({ length: savedTick + 2 }, (_, i) => i + 1));
    expect(after.slice(savedTick).every((t) => t.success)).toBe(true);
    expect(state().tick).toBe(savedTick + 2);
    expect(lsRow().tick).toBe(savedTick + 2);
    // Turns alternate across the restart too (the saved turn order is honoured).
    expect(after.at(-1)!.peer).not.toBe(after.at(-2)!.peer);
    // Resumed on the same clone: its history continues, and the branch follows it (peers status):
    // a commit for every tick but the interrupted one.
    expect(asUser(['git', '-C', clone, 'rev-list', '--count', 'HEAD']).stdout.trim()).toBe(String(baseCommits + savedTick + 1));
    expect(peers(['status']).code).toBe(0);
    expect(asUser(['git', '-C', repo, 'rev-list', '--count', 'peers/app']).stdout.trim()).toBe(String(baseCommits + savedTick + 1));
    expect(asUser(['git', '-C', repo, 'rev-list', '--count', 'HEAD']).stdout.trim()).toBe(String(baseCommits));
  });

  test('a killed loop shows as crashed; `up` after the crash resumes from the saved tick', () => {
    const r = peers(['up', '--max-ticks', '50']);
    expect(r.code, r.stderr).toBe(0);
    const base = state().tick;
    waitFor('one more tick', () => tickLines().length > base);
    expect(podmanAsUser(['kill', cname('loop')]).code).toBe(0);
    waitFor('the loop container to stop', () => lsRow().status !== 'running', 30_000);
    expect(lsRow().status).toBe('crashed');
    // A kill between a tick's run line and its state write leaves the line ahead: the next start
    // takes the logged tick as done (docs/ARCHITECTURE.md, "Crash consistency of a tick").
    const crashedAt = Math.max(state().tick, tickLines().at(-1)?.tick ?? 0);
    expect(peers(['up', '--max-ticks', '1']).code).toBe(0);
    waitFor('the run after the crash to stop', () => lsRow().status === 'stopped');
    expect(lsRow().stop_reason).toBe('max_ticks');
    const lines = tickLines();
    const ticks = lines.map((t) => t.tick);
    expect(ticks).toEqual(Array.from({ length: ticks.length }, (_, i) => i + 1));
    // A kill during a turn leaves it open: the next start closes it as that peer's tick, interrupted
    // (docs/ARCHITECTURE.md, "Crash consistency of a tick"), before the one tick this run may take.
    const closed = lines.find((t) => t.tick === crashedAt + 1)?.interrupted === true ? 1 : 0;
    expect(state().tick).toBe(crashedAt + 1 + closed);
    expect(lines.at(-1)).toMatchObject({ tick: crashedAt + 1 + closed });
    expect(lines.at(-1)!.interrupted ?? false).toBe(false);
  });

  test("up --attach on a resumed run follows this session's loop output, all of it and no earlier session's, on stdout, until the run stops", () => {
    expect(lsRow().status).not.toBe('running');
    const next = state().tick + 1;
    const before = Date.now();
    const r = peers(['up', '--max-ticks', '1', '--attach'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`tick ${next} peer=`);
    // podman's own warnings (its logrus lines) are not log: never on stdout.
    expect(r.stdout).not.toMatch(/^time="[^"]*" level=/m);
    expect(lsRow().status).toBe('stopped');
    expect(state().tick).toBe(next);
    // loop.log keeps every session (k8s-file lines: `<time> <stream> <F|P> <text>`): the earlier
    // ones are not replayed, and not one line of this one (logged after \`before\`) is missing.
    const logged = readFileSync(join(stateDir, 'loop.log'), 'utf8').split('\n').map((l) => /^(\S+) (?:stdout|stderr) F (.*)$/.exec(l)).filter((m) => m !== null);
    const at = (time: string) => Date.parse(time.replace(/(\.\d{3})\d*/, '$1'));
    expect(logged.some((m) => at(m[1]!) < before && m[2]!.includes('tick 1 peer='))).toBe(true);
    expect(r.stdout).not.toContain('tick 1 peer=');
    const thisSession = logged.filter((m) => at(m[1]!) >= before).map((m) => m[2]!);
    expect(thisSession.length).toBeGreaterThan(1);
    for (const line of thisSession) expect(r.stdout).toContain(line);
  });

  /**
   * Processes of a container that stay unreaped: `pids` (default: every zombie seen now) must be
   * gone from /proc within 15 s. A process that has just exited is a zombie until its parent
   * waits for it (the loop keeps starting git while this runs), so one look is not enough.
   */
  function lastingZombies(role: string, pids?: string[]): string {
    const first = pids ? pids.join(' ') : "$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3 | tr '\\n' ' ')";
    const script = `left="${first}"; i=0; while [ $i -lt 150 ]; do now=""; for p in $left; do if [ -e /proc/$p ]; then if [ -n "${pids ? 'all' : ''}" ] || grep -qs '^State:.*Z' /proc/$p/status; then now="$now $p"; fi; fi; done; left=$now; [ -z "$left" ] && break; sleep 0.1; i=$((i+1)); done; echo $left`;
    return execIn(role, script).stdout.trim();
  }

  test('orphans the peers leave behind are reaped: an init is PID 1, no zombie accumulates', () => {
    expect(peers(['up', '--max-ticks', '50']).code).toBe(0);
    // catatonit, bind-mounted by podman as /run/podman-init.
    expect(execIn('workspace', 'cat /proc/1/comm').stdout.trim()).toBe('podman-init');
    // Three orphans: their parent shell exits at once, so they are re-parented to PID 1, which
    // must reap them once they exit (a zombie keeps its /proc entry until it is reaped).
    const orphans = execIn('workspace', 'for i in 1 2 3; do sh -c "sleep 0.3 & echo \\$!"; done').stdout.trim().split(/\s+/);
    expect(orphans).toHaveLength(3);
    expect(lastingZombies('workspace', orphans)).toBe('');
    expect(lastingZombies('workspace')).toBe('');
    // The peers' own stray processes (the server each turn leaves, killed when the turn ends) too.
    for (const role of ['loop', 'setup', 'gates']) expect(`${role}: ${lastingZombies(role)}`).toBe(`${role}: `);
    expect(peers(['down', '--grace', '20']).code).toBe(0);
  });
});
