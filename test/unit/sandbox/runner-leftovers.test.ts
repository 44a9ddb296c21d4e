/**
 * Attack: a gate (or `setup`'s install script) leaves a daemon in the gates container
 * (`setsid`: out of the process group the runner kills). It outlives the run, lists the shared
 * checkouts directory and writes into the next commit's checkout before its gates read it, so a
 * commit whose tests fail passes. The property (SECURITY.md, "One gate run leaves nothing for the
 * next"): the pod's setup and gates runners (`--reap-leftovers`) kill, before and after every
 * request, every process of their container that no live request accounts for.
 *
 * The real `peers runner` runs as the main process of a pid namespace of its own under catatonit,
 * as in its container (`unshare --pid`; the sweep would otherwise look at the whole host), and is
 * driven through its socket by the loop's client.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { issueRunnerKeys, readRunnerKey, RUNNER_KEYS_FILE } from '../../../sandbox/runner-key.ts';
import { SocketRunner } from '../../../sandbox/socket-runner.ts';
import { RunObserver } from '../../../src/git/run-observer.ts';
import { waitFor } from '../../wait-for.ts';

const ROOT = resolve(import.meta.dir, '../../..');
const BUN = process.execPath;
const CATATONIT = ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit'].find((p) => existsSync(p));
/** `unshare` that gives a new pid namespace here: as root directly, else with a user namespace. */
const UNSHARE = [['-pf', '--mount-proc'], ['-Urpf', '--mount-proc']].find((a) => spawnSync('unshare', [...a, 'true']).status === 0);
const skip = !CATATONIT || !UNSHARE;
if (skip) console.warn(`skipped: needs catatonit and unshare into a new pid namespace (catatonit: ${CATATONIT ?? 'none'}, unshare: ${UNSHARE ? 'ok' : 'refused'})`);

let runner: ChildProcess | undefined;
const dirs: string[] = [];
afterEach(() => {
  // catatonit, PID 1 of the namespace (unshare's child): killing it ends every process in it.
  // (Not `unshare --kill-child`: that makes the orphans in the namespace die with their parent.)
  if (runner?.pid) {
    const pid = runner.pid;
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) process.kill(Number(child), 'SIGKILL');
  }
  runner?.kill('SIGKILL');
  runner = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startRunner(reap: boolean, keyed = false, extra: string[] = []): Promise<{ client: SocketRunner; dir: string; socket: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'runner-leftovers-'));
  dirs.push(dir);
  const socket = join(dir, 'runner.sock');
  // As in the pod: the runner takes its per-run key (runner-key.ts) before it listens.
  const keyDir = join(dir, 'key');
  if (keyed) mkdirSync(keyDir);
  runner = spawn('unshare', [...UNSHARE!, CATATONIT!, '--', BUN, join(ROOT, 'src/main.ts'), 'runner', '--socket', socket, ...(reap ? ['--reap-leftovers'] : []), ...(keyed ? ['--key-dir', keyDir] : []), ...extra], { stdio: 'ignore' });
  if (keyed) issueRunnerKeys(dir, { gates: keyDir });
  // The file exists from bind(); a connection is accepted only once it listens.
  const accepts = () => new Promise<boolean>((r) => connect(socket).once('connect', function (this: Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
  await waitFor('the runner to listen', accepts, 20_000);
  return { client: new SocketRunner(socket, {}, keyed ? () => readRunnerKey(join(dir, RUNNER_KEYS_FILE), 'gates') : undefined), dir, socket };
}

/**
 * Gate code that asks its own runner for a request of its own (the socket is in its container),
 * whose process then takes the connection over (SCM_RIGHTS): a live request, so no sweep would
 * touch it, writing a passing verdict into every checkout that appears. Exits 0 either way.
 */
const SELF_REQUEST = String.raw`
import json, os, socket, sys, time
runner_sock, here, checkouts, ticks = sys.argv[1:5]
daemon = '''
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
_, fds, _, _ = socket.recv_fds(s, 1, 1)
while True:
    for d in os.listdir(sys.argv[2]):
        p = os.path.join(sys.argv[2], d)
        if os.path.isdir(p): open(os.path.join(p, 'verdict'), 'w').write('pass')
    open(sys.argv[3], 'a').write('.')
    time.sleep(0.01)
'''
handoff = os.path.join(here, 'handoff.sock')
l = socket.socket(socket.AF_UNIX); l.bind(handoff); l.listen(1); l.settimeout(5)
c = socket.socket(socket.AF_UNIX); c.connect(runner_sock)
req = {'type': 'run', 'argv': [sys.executable, '-c', daemon, handoff, checkouts, ticks], 'env': {}, 'cwd': here, 'limits': {'idleTimeoutMs': 600000, 'absoluteTimeoutMs': 600000}}
c.sendall((json.dumps(req) + chr(10)).encode())
try:
    conn, _ = l.accept()
except socket.timeout:
    print('refused: ' + c.recv(4096).decode(errors='replace')[:300]); sys.exit(0)
socket.send_fds(conn, [b'x'], [c.fileno()])
end = time.time() + 10
while time.time() < end and not (os.path.exists(ticks) and os.path.getsize(ticks)): time.sleep(0.01)
print('planted')
`;

const sh = (client: SocketRunner, dir: string, script: string) =>
  client.run({ peer: 'gates', argv: ['/bin/sh', '-c', script], env: {}, cwd: dir, idleTimeoutMs: 20_000, absoluteTimeoutMs: 20_000, killGraceMs: 1000, maxStreamBytes: 1 << 20 });

/**
 * The first gate run's leftover: writes a passing verdict into every checkout that appears. The
 * gate waits until it runs (out of the group, which the runner kills when the gate exits).
 */
const plantDaemon = (checkouts: string, ticks: string) =>
  `setsid sh -c 'while :; do for d in ${checkouts}/*/; do [ -d "$d" ] && echo pass > "$d/verdict"; done; echo . >> ${ticks}; sleep 0.01; done' </dev/null >/dev/null 2>&1 & while [ ! -s ${ticks} ]; do sleep 0.01; done`;
/** The next gate run: a new checkout, read a moment later (setup ran there meanwhile). */
const nextRun = (checkouts: string) => `mkdir ${checkouts}/c-next && sleep 0.4 && if [ -e ${checkouts}/c-next/verdict ]; then echo pass; else echo clean; fi`;

describe.skipIf(skip)('a daemon a gate run leaves in the setup or gates container', () => {
  test('is killed when its run ends: it never writes into the next checkout', async () => {
    const { client, dir } = await startRunner(true);
    const checkouts = join(dir, 'checkouts');
    mkdirSync(checkouts);
    const ticks = join(dir, 'ticks');
    const planted = await sh(client, dir, plantDaemon(checkouts, ticks));
    expect(planted, JSON.stringify(planted)).toMatchObject({ exitCode: 0 });
    const next = await sh(client, dir, nextRun(checkouts));
    expect(next.stdout.trim()).toBe('clean');
    expect(existsSync(join(checkouts, 'c-next', 'verdict'))).toBe(false);
  }, 60_000);

  test('gate code that asks its own runner for a request (it can reach the socket) cannot keep a daemon alive as a live request', async () => {
    const { client, dir, socket } = await startRunner(true, true);
    const checkouts = join(dir, 'checkouts');
    mkdirSync(checkouts);
    const ticks = join(dir, 'ticks');
    writeFileSync(join(dir, 'self-request.py'), SELF_REQUEST);
    const gate = await sh(client, dir, `python3 ${join(dir, 'self-request.py')} ${socket} ${dir} ${checkouts} ${ticks}`);
    expect(gate, JSON.stringify(gate)).toMatchObject({ exitCode: 0 });
    const next = await sh(client, dir, nextRun(checkouts));
    expect(next.stdout.trim(), gate.stdout).toBe('clean');
    expect(gate.stdout).toContain("refused: {\"sealed\"");
    expect(gate.stdout).toContain("without the loop's authentication");
    expect(existsSync(join(checkouts, 'c-next', 'verdict'))).toBe(false);
  }, 60_000);

  test('without the sweep (the old runner), the same daemon makes the next run pass', async () => {
    const { client, dir } = await startRunner(false);
    const checkouts = join(dir, 'checkouts');
    mkdirSync(checkouts);
    const ticks = join(dir, 'ticks');
    expect((await sh(client, dir, plantDaemon(checkouts, ticks))).exitCode).toBe(0);
    expect((await sh(client, dir, nextRun(checkouts))).stdout.trim()).toBe('pass');
  }, 60_000);

  /** A gate run leaves a process answering at the runner's socket path; then the loop's next probe asks. */
  async function impostorThenNextTurn(reap: boolean): Promise<string> {
    const { client, dir } = await startRunner(reap);
    const socket = client.socketPath;
    // Answers every request as the runner would, with a result of its choosing (for a gate probe:
    // every gate passing).
    const impostor = `require('fs').rmSync(${JSON.stringify(socket)}, { force: true }); require('net').createServer((s) => s.end(JSON.stringify({ type: 'started' }) + '\\n' + JSON.stringify({ type: 'exit', result: { exitCode: 0, signal: null, stdout: 'forged', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 1, endedBy: 'exit' } }) + '\\n')).listen(${JSON.stringify(socket)}, () => require('fs').writeFileSync(${JSON.stringify(join(dir, 'impostor-up'))}, ''))`;
    const turn = await sh(client, dir, `setsid ${BUN} -e "${impostor.replaceAll('"', '\\"')}" </dev/null >/dev/null 2>&1 & while [ ! -e ${dir}/impostor-up ]; do sleep 0.01; done`);
    expect(turn.exitCode).toBe(0);
    return (await sh(client, dir, 'echo real')).stdout.trim();
  }

  test("gate code that puts an impostor at the runner's socket path never answers the loop's next request", async () => {
    expect(await impostorThenNextTurn(true)).toBe('real');
  }, 60_000);

  test('without the sweep (the old runner), the impostor answers the next request', async () => {
    expect(await impostorThenNextTurn(false)).toBe('forged');
  }, 60_000);

  /**
   * One gates probe (`peers runner --probe-gates`) of two gates: the first runs the peers' code and
   * leaves a daemon that keeps writing a passing verdict at its checkout's path, where the next
   * gate's copy appears (SECURITY.md, "Each gate starts from the state right after setup").
   */
  async function daemonBetweenGates(reap: boolean): Promise<string[]> {
    const { client, dir } = await startRunner(reap);
    const checkouts = join(dir, 'checkouts');
    // A real commit in a mirror, checked out as the setup runner leaves it: the probe writes the
    // checkout's .git again from the mirror before any gate runs (sandbox/gates-remote.ts).
    const src = join(dir, 'src');
    const mirror = join(dir, 'mirror.git');
    const tree = join(checkouts, 'c-1', 'tree');
    mkdirSync(src);
    writeFileSync(join(src, 'verdict'), 'fail\n');
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    git(src, 'init', '-q');
    git(src, 'add', 'verdict');
    git(src, 'commit', '-qm', 'verdict');
    new RunObserver({ workDir: src, mirror, stage: join(dir, 'stage.git'), lenient: true }).sync();
    mkdirSync(join(checkouts, 'c-1'), { recursive: true });
    git(dir, 'clone', '-q', mirror, tree);
    const head = git(src, 'rev-parse', 'HEAD');
    const ticks = join(dir, 'ticks');
    const gate = (id: string, cmd: string) => ({ id, type: 'hard', cmd, pass_when: 'exit_code == 0', cacheable: false, expensive: false, retry_on_fail: 0 });
    const goals = [
      // `env -i`: without the run's mark the gate engine's own sweep (src/proc/marked-leftovers.ts)
      // misses it; only the runner's sweep of the container, which needs no mark, finds it.
      gate('suite', `setsid env -i /bin/sh -c 'while :; do echo pass > "$PWD/verdict" 2>/dev/null; echo . >> ${ticks}; sleep 0.01; done' </dev/null >/dev/null 2>&1 & while [ ! -s ${ticks} ]; do sleep 0.01; done`),
      // Passes as soon as the verdict says so (the daemon got there), fails after 3 s without.
      gate('verdict', 'for i in $(seq 60); do grep -qx pass verdict && exit 0; sleep 0.05; done; exit 1'),
    ];
    const r = await client.run({ peer: 'gates', argv: [BUN, join(ROOT, 'src/main.ts'), 'runner', '--probe-gates', '--checkouts', checkouts, '--mirror', mirror], env: {}, stdin: JSON.stringify({ dir: tree, head, goals, timeoutS: 20, jobs: 1 }), cwd: dir, idleTimeoutMs: 30_000, absoluteTimeoutMs: 30_000, killGraceMs: 1000, maxStreamBytes: 1 << 20 });
    expect(r.exitCode, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { id: string; state: string }[]).map((g) => `${g.id}:${g.state}`);
  }

  test('within one gates probe, what a gate left running is killed before the next gate starts on its copy', async () => {
    expect(await daemonBetweenGates(true)).toEqual(['suite:pass', 'verdict:fail']);
  }, 60_000);

  test('without the sweep between gates (a runner that does not sweep), the daemon makes the next gate pass', async () => {
    expect(await daemonBetweenGates(false)).toEqual(['suite:pass', 'verdict:pass']);
  }, 60_000);

  test("a live request's processes are kept, its setsid child too, while another request starts and ends", async () => {
    const { client, dir } = await startRunner(true);
    const out = join(dir, 'out');
    const started = join(dir, 'started');
    const long = sh(client, dir, `setsid sh -c 'sleep 1; echo alive > ${out}' </dev/null >/dev/null 2>&1 & echo > ${started}; sleep 2; cat ${out}`);
    await waitFor('the long request to have started its child', () => existsSync(started), 10_000);
    for (let i = 0; i < 3; i++) expect((await sh(client, dir, 'true')).exitCode).toBe(0);
    const r = await long;
    expect({ code: r.exitCode, out: r.stdout.trim() }).toEqual({ code: 0, out: 'alive' });
  }, 60_000);
});

/**
 * The workspace container (`--reap-after-turns`): a peer turn leaves a process that re-executed
 * itself with an environment of its own (`env -i`: no turn mark, src/proc/marked-leftovers.ts) and
 * out of the turn's group (`setsid`). It would commit in the next peer's turn, credited to that peer
 * (SECURITY.md, "A turn's commits are its own peer's"). The runner kills it when the turn ends.
 */
describe.skipIf(skip)('a process a peer turn leaves in the workspace container', () => {
  const turn = (client: SocketRunner, dir: string, pidFile: string, stopLeftovers: boolean) =>
    client.run({ peer: 'alice', argv: ['/bin/sh', '-c', `setsid env -i /bin/sh -c 'echo $$ > ${pidFile}; exec sleep 60' </dev/null >/dev/null 2>&1 & while [ ! -s ${pidFile} ]; do :; done`], env: {}, cwd: dir, idleTimeoutMs: 20_000, absoluteTimeoutMs: 20_000, killGraceMs: 1000, maxStreamBytes: 1 << 20, stopLeftovers });
  /** Whether the process whose pid (in the runner's namespace) is in `pidFile` still runs, asked in that namespace. */
  const runs = async (client: SocketRunner, dir: string, pidFile: string) => (await sh(client, dir, `kill -0 $(cat ${pidFile}) && echo runs || echo gone`)).stdout.trim();

  test('is killed when the turn ends, without the turn mark, and counted', async () => {
    const { client, dir } = await startRunner(false, false, ['--reap-after-turns']);
    const pidFile = join(dir, 'pid');
    const r = await turn(client, dir, pidFile, true);
    expect(r, JSON.stringify(r)).toMatchObject({ exitCode: 0, leftoversStopped: 1 });
    expect(await runs(client, dir, pidFile)).toBe('gone');
  }, 60_000);

  test('control: a request that is no peer turn (the loop reading the workspace) sweeps nothing: the same process runs on', async () => {
    const { client, dir } = await startRunner(false, false, ['--reap-after-turns']);
    const pidFile = join(dir, 'pid');
    const r = await turn(client, dir, pidFile, false);
    expect(r.leftoversStopped).toBeUndefined();
    expect(await runs(client, dir, pidFile)).toBe('runs');
  }, 60_000);
});

for (const flag of ['--reap-leftovers', '--reap-after-turns']) {
  test(`${flag} is refused outside a container (its parent is not PID 1): on a host it would kill every other process of the user`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-leftovers-host-'));
    dirs.push(dir);
    const r = spawnSync(BUN, [join(ROOT, 'src/main.ts'), 'runner', '--socket', join(dir, 'runner.sock'), flag], { encoding: 'utf8', timeout: 30_000 });
    expect({ code: r.status, listening: existsSync(join(dir, 'runner.sock')) }).toEqual({ code: 2, listening: false });
    expect(r.stderr).toContain(flag);
  }, 60_000);
}
