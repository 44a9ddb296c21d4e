/**
 * `peers up` → first tick and `peers down`, on the compiled binary in the real rootless pod, against
 * a bare `podman run --rm` of the same image measured in the same run (the floor of any container
 * start on this host). Runs as root, drives podman as the e2e test user (test/e2e/podman-user.ts).
 *
 *   node_modules/.bin/bun build.ts && nice -n 19 node_modules/.bin/bun test/bench/pod-up.ts [--rounds N] [--before BINARY] [--no-write]
 *
 * --before: another compiled peers (e.g. built from an earlier commit; readable by the test user)
 * measured in the same rounds, after the current one, for a before/after comparison.
 *
 * Each round, interleaved: the bare run; then a new project (`peers init`, two peers that `sleep`,
 * so the first tick stays in its turn) brought up with `peers up`, timed from the command's start to
 * the loop's `tick 1 … starting` line in its log (loop.log, written by podman); then `peers down`,
 * timed until it exits. Every project is new, so each `up` pays what a user's first `up` does (the
 * run clone, the pod's containers created and started). The image's entrypoint is the mounted peers
 * binary, so the bare run is `podman run --rm --entrypoint true IMAGE`. Prints medians and rewrites
 * the `## Pod up and down` section of BENCHMARKS.md.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { asUser, ensurePodmanReady, PEERS_BIN, podmanAsUser, TEST_USER, uid, userEnv } from '../e2e/podman-user.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const args = benchArgs();
const flag = args.flag;
const ROUNDS = Number(flag('--rounds') ?? 5);
const WRITE = args.write;
const IMAGE = 'localhost/peers-workspace:latest';
const BEFORE = flag('--before');
/** What --before is, for the section's text (e.g. `main at 70f58a3`). */
const BEFORE_LABEL = flag('--before-label') ?? BEFORE;

if (process.getuid?.() !== 0) {
  console.error('pod-up.ts runs as root (it drives rootless podman as the test user)');
  process.exit(2);
}
ensurePodmanReady();
const root = mkdtempSync('/var/tmp/peers-bench-pod-up-');
chownSync(root, uid(), uid());
const env = { XDG_CONFIG_HOME: join(root, 'config'), XDG_STATE_HOME: join(root, 'state'), ANTHROPIC_API_KEY: 'sk-ant-unused', OPENAI_API_KEY: 'sk-unused' };

/** Runs argv as the test user; resolves with its wall time when `until` holds (default: it exited 0). */
async function timed(argv: string[], cwd: string, until?: () => boolean): Promise<number> {
  const e = userEnv(env);
  const t0 = performance.now();
  const proc = Bun.spawn(['runuser', '-u', TEST_USER, '--', 'env', '-i', ...Object.entries(e).map(([k, v]) => `${k}=${v}`), ...argv], { cwd, stdout: 'pipe', stderr: 'pipe' });
  let exited = false;
  const done = proc.exited.then((code) => {
    exited = true;
    return code;
  });
  if (until) {
    while (!until()) {
      if (exited && (await done) !== 0) throw new Error(`${argv.join(' ')} exited ${await done}: ${await new Response(proc.stderr).text()}`);
      if (performance.now() - t0 > 180_000) throw new Error(`${argv.join(' ')}: timed out`);
      await Bun.sleep(10);
    }
    const t = performance.now() - t0;
    const code = await done;
    if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${await new Response(proc.stderr).text()}`);
    return t;
  }
  const code = await done;
  const t = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${await new Response(proc.stderr).text()}`);
  return t;
}

function newProject(i: number): string {
  const repo = join(root, `app${i}`);
  const made = asUser(['sh', '-ec', `git init -q -b main ${repo} && cd ${repo} && git config user.email b@e && git config user.name bench && ${PEERS_BIN} init >/dev/null`], { env });
  if (made.code !== 0) throw new Error(`peers init: ${made.stderr}`);
  const peer = (name: string) => ({ name, tool: 'custom', argv: ['sleep', '600'], prompt_mode: 'stdin' });
  writeFileSync(join(repo, '.peers/config.yaml'), stringify({ peers: [peer('a'), peer('b')], health: { idle_timeout_s: 600 } }));
  writeFileSync(join(repo, '.peers/goals.yaml'), stringify({ goals: [{ id: 'trivial', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }] }));
  for (const f of ['config.yaml', 'goals.yaml']) chownSync(join(repo, '.peers', f), uid(), uid());
  const commit = asUser(['sh', '-ec', 'git add -A && git commit -q -m bench --allow-empty'], { cwd: repo, env });
  if (commit.code !== 0) throw new Error(`git commit: ${commit.stderr}`);
  return repo;
}

/** The loop log of the project's state dir says tick 1 started. */
function firstTickSeen(): boolean {
  const dir = join(root, 'state', 'peers');
  if (!existsSync(dir)) return false;
  for (const d of readdirSync(dir)) {
    const log = join(dir, d, 'loop.log');
    try {
      if (/tick 1 peer=\S+ starting/.test(readFileSync(log, 'utf8'))) return true;
    } catch {
      // not written yet
    }
  }
  return false;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const bare: number[] = [];
type Figures = { up: number[]; down: number[] };
const binaries: [string, string, Figures][] = [['this checkout', PEERS_BIN, { up: [], down: [] }]];
if (BEFORE) binaries.push([`before (${BEFORE_LABEL})`, BEFORE, { up: [], down: [] }]);
let project = 0;
try {
  // Warm-up: the image's layers and podman's caches, outside the figures.
  await timed(['podman', 'run', '--rm', '--entrypoint', 'true', IMAGE], '/');
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await timed(['podman', 'run', '--rm', '--entrypoint', 'true', IMAGE], '/'));
    const line = [`round ${i + 1}: bare run ${bare.at(-1)!.toFixed(0)} ms`];
    // The builds take turns going first: the first `up` of a round was measured 0.4 s slower than the
    // second with one binary in both places (load 12), which would otherwise count against this checkout.
    for (const [name, bin, f] of i % 2 ? [...binaries].reverse() : binaries) {
      const repo = newProject(project++);
      rmSync(join(root, 'state'), { recursive: true, force: true });
      f.up.push(await timed([bin, 'up', '--no-skeptic'], repo, firstTickSeen));
      f.down.push(await timed([bin, 'down'], repo));
      line.push(`${name}: up → first tick ${f.up.at(-1)!.toFixed(0)} ms, down ${f.down.at(-1)!.toFixed(0)} ms`);
    }
    console.log(line.join('; '));
  }
} finally {
  for (const c of JSON.parse(podmanAsUser(['ps', '-a', '--filter', 'label=peers.project', '--format', 'json']).stdout || '[]') as { Names: string[]; Labels: Record<string, string> }[]) {
    if (c.Labels['peers.repo']?.startsWith(root)) podmanAsUser(['rm', '-f', '--ignore', c.Names[0]!]);
  }
  podmanAsUser(['pod', 'prune', '-f']);
  rmSync(root, { recursive: true, force: true });
}

const b = median(bare);
const s = (ms: number) => (ms / 1000).toFixed(2);
const row = (name: string, xs: number[], ratio: string, goal: string) => `| ${name} | ${s(median(xs))} | ${s(Math.min(...xs))}–${s(Math.max(...xs))} | ${ratio} | ${goal} |`;
const rows = [row('bare `podman run --rm --entrypoint true` (baseline)', bare, '', '')];
for (const [name, , f] of binaries) {
  const u = median(f.up) / b;
  const d = median(f.down) / b;
  const current = name === 'this checkout';
  rows.push(row(`\`peers up\` → first tick (\`tick 1 … starting\` in loop.log), ${name}`, f.up, `${u.toFixed(1)}×`, current ? `≤ 3×: ${u <= 3 ? 'met' : 'not met'}` : ''));
  rows.push(row(`\`peers down\` (loop saves and exits, pod and containers removed), ${name}`, f.down, `${d.toFixed(1)}×`, current ? `≤ 2×: ${d <= 2 ? 'met' : 'not met'}` : ''));
}
const table = ['| step | median (s) | min–max (s) | ratio to the bare run | goal |', '| --- | ---: | ---: | ---: | --- |', ...rows].join('\n');
console.log(table);
if (WRITE) {
  const podman = podmanAsUser(['--version']).stdout.trim();
  const section = `## Pod up and down

Measured by \`bun test/bench/pod-up.ts --rounds ${ROUNDS}${BEFORE ? ' --before …' : ''}\` on ${new Date().toISOString().slice(0, 10)}: the compiled \`dist/peers\`, ${podman}
rootless, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, shared with other work (load average ${loadavg()[0]!.toFixed(1)} at the end of the run; compare the ratios, not the seconds,
and expect them to move with the load: 4.8× and 6.3× for the same \`up\` at load 9 and 13 on 2026-12-06; the bare run
itself takes either ~0.15 or ~0.37 s, and a median of seven that lands on the slow one makes the same \`up\` 2.8×). Each round,
interleaved: a bare \`podman run --rm --entrypoint true ${IMAGE}\` (the image's entrypoint is the mounted peers binary),
then a new project brought up with \`peers up\` (its run clone made, 7 containers created and started: egress, bridge,
auth, setup, gates, workspace, loop), timed to the loop's first \`tick 1 … starting\` line, then \`peers down\`.
\`up\` asks \`podman info\` once per host (sandbox/podman-host.ts caches its answers until podman, its configuration or the
boot changes), inspects the image beside listing the project's containers, and creates the pod, starts its infra
container and starts the egress proxy (it needs no run clone) while it makes the run clone; then every other container is created and started by its
own \`podman run --detach\`, all at once (sandbox/pod-create.ts): the loop, setup and gates beside the pod at once, the
pod's members (workspace, auth, bridge: the only containers that talk over its loopback) once its infra runs. The loop
uses Unix sockets and files only, so it is not a member (SECURITY.md, "The loop shares no loopback with anyone"): its
start and its first gate probe overlap the members' start instead of following the pod's infra. A container names
itself on the loop's lifeline only once it serves (sandbox/lifeline.ts); the loop starts its first gate probe once the
setup and gates runners and the egress proxy serve (\`GATE_PROBE_ROLES\`, src/loop/pod-health.ts), and its first turn
once every container serves.
\`down\` connects to the loop's lifeline (a loop answering there is running: no \`podman ps\`), sends SIGTERM to the
loop container's init at the PID podman wrote at its start (sandbox/loop-pid.ts; no \`podman kill\` process) and takes
the line's close as its exit, after its last save (no \`podman stop\`, which polls for the exit and cleans up before it
returns); then it removes the pod and the containers beside it with two concurrent podman calls, while it publishes the
run's branch.

Where the time goes now (every podman call of one \`up\` and \`down\` timed through a wrapper, \`StartedAt\` of each container, at load
12–15 on 2026-12-06): \`up\` spends 0.15–0.3 s before its first podman call, 0.2 s listing and inspecting, 0.1–0.2 s planning
and writing the seccomp profile, 0.3–0.4 s creating the pod, 0.4–1.0 s starting its infra (beside the loop's, setup's and
gates' \`podman run\`, which end before the members'), 0.9–1.5 s for the members' three \`podman run\`; the first tick
starts 0.15–0.2 s after the last member started (the gate probe is over by then). \`down\` spends 0.2 s before it signals
the loop, then 0.8–1.2 s removing (the pod's \`pod rm\` of 3 members and the infra is the longer of the two calls).
Before this change (the loop a member of the pod, at the same load, a bare run taking 0.35 s): \`up\` spends 0.05–0.1 s in its own start, 0.05 s listing and inspecting, 0.2 s
making the run clone (the pod and the egress proxy meanwhile), then the other 6 \`podman run\` calls take 2–2.5 bare runs
(each is CPU-bound, on 2 cores, beside the containers' own start-up); the first gate probe (a checkout in the setup
container, then the gates in the gates container: two one-shot peers processes with their git and gate commands) takes
0.15 s on a quiet machine, 0.4–0.5 s under load: it used to start only once the last container served, and now starts
once setup, gates and egress serve (they run beside the pod, so they start 0.2–0.3 s before its members: the pod is
created and its infra started first), so on a quiet machine it is over before \`tick 1\` could start anyway; under
load it competes for the same 2 cores with the members' start-up: at load 13–19 (two runs of eleven rounds on
2026-12-06, the rows below one of them) it gained nothing measurable: the medians moved by +0.5 s and −0.2 s, in spreads of 2–4 s. \`down\` spends 0.05 s in its own start, 0.05–0.1 s on SIGTERM and
the loop's save and exit, then 1–1.5 bare runs removing 8 containers (the pod's infra too) while conmon runs podman's
cleanup for each. So the 3× goal needs fewer containers or cheaper container starts than rootless podman 4.3 gives
here, not more concurrency: the seven \`podman run\` calls alone cost 2.5–3 bare runs of CPU.

The CPU itself (2026-12-06, every process \`up\` and \`down\` start, conmon, runc and the containers included, counted
in a cpuacct cgroup and sampled by \`perf\`): a bare run costs 0.22 CPU-seconds; \`up\` to the first tick 2.3–3.0 (podman's
own processes 0.9, runc 0.6, peers 0.6 (\`up\`, the seven containers' start-up, the first gate probe), conmon 0.1,
git 0.1), \`down\` 0.8–1.4 (mostly podman's cleanup and removal of 8 containers). On 2 cores \`up\` cannot take
less than half its CPU time, 1.2–1.5 s at that load, where a bare run took 0.4–0.6 s; the rest is podman's order (the
pod created, then its infra started, then the members, each step a podman process). What was
tried or ruled out: one long-lived \`podman system service\` on a private socket, the containers created and started
through it (\`podman --remote\`, a client that starts in 0.03 s): a local podman process that does nothing
(\`podman version\`) takes 0.04 s too, and six concurrent \`podman run --detach\` through the service took 0.8–1.0 s
against 0.8–1.4 s as six podman processes (load 9–10, three rounds each): the time is in creating and starting the
containers (storage, conmon, runc), not in podman's process start-up, so it is not done; creating the pod's members first (\`podman create\`, at once) and starting the pod and them with one \`podman pod start\`: for a pod of three members, 2.8 s against 2.2 s for the order used (\`pod start\`, then the members' \`podman run --detach\` at once; medians of six, interleaved, at load 17), and a create needs every bind-mount source to exist already (the run clone), so it is not done; removing with one
\`podman rm --depend <infra> <the containers beside the pod>\` (which takes the pod with it) instead of \`pod rm\` beside
\`rm\`: 0.72 s against 0.82 s (medians of seven, interleaved, at load 15, for the same 8 containers), within the noise,
and a pod made by an earlier peers (its infra has podman's default name) would need the second call, so it is not done;
dropping the pod's infra container: the workspace, auth and bridge talk over the pod's loopback (127.0.0.1:3128 to the
bridge, 127.0.0.1:8080 to the auth sidecar), so one network namespace must exist before they run; without an infra one
of them would own it (\`--network container:…\`) and run first, the same sequential step the pod's create and start are
now, and the sandbox's \"one keep-id user namespace for the pod\" would become one per container; one \`podman kube play\` of a generated manifest (podman 4.3.1 here) drops settings the sandbox
relies on: no per-container ulimits (the \`nproc\` cap, the only process cap on cgroup v1), the \`--init\` annotation
ignored, an \`emptyDir\` of medium Memory made an on-disk volume (no size-capped tmpfs \`/tmp\` and \`$HOME\`, no
read-only mask over \`.peers/\`), and one \`--network\` and one \`--log-opt\` for every pod of the manifest; removing
with \`-t 0\` instead of \`-t 2\` changes nothing measurable (the containers have exited by then, on the loop's
lifeline); merging the bridge into the auth container (one container less) would put the code that parses the
workspace's CONNECT requests beside the credentials, with the vendors' egress socket in reach (SECURITY.md, "The
sandbox pod"), so it is not done.
Also evaluated on 2026-12-06 and not done: (a) one container for the setup and gates runners: they match in network
(their own, none), user, credentials (none) and most mounts, but the dependency cache is writable in the setup container
alone and the gates container has none (SECURITY.md, "The gate environment cannot be poisoned"): merged, every gate's
code could rewrite the cache the next commit's setup reads; the egress proxy in a container that exists: it is the only
container with a network, and every other one runs the peers' code or holds the credentials, so none has its exposure;
(b) cheaper \`podman run\` flags: a bare run with each of the pod's flags alone (\`--userns=keep-id\`, \`--init\`, the
seccomp profile, \`--cap-drop=ALL\` with no-new-privileges, read-only root and the ulimits, \`--network=none\`, the
binary, tmpfs and socket mounts, \`--user\`) and all together took 220–326 ms wall and 223–245 ms of CPU (medians of
six, interleaved, at load 1–2, CPU counted in a cpuacct cgroup): no flag costs measurable CPU, a container start costs
what it costs; (c) the first turn before the first gate probe: the pre-tick decision (complete, the red counts, the
turn's prompt) reads the gates at HEAD, so starting the turn first would change the run, and with the loop beside the
pod the probe is over before the last member serves anyway; (d) containers made with \`--rm\` (podman's exit cleanup
would remove them, down's \`rm\` finding nothing): a container that dies during a run would vanish with its logs, and
\`peers up\` restarts a dead sidecar with \`podman start\` (sandbox/pod-repair.ts). What was done (the loop beside the pod,
down's SIGTERM without \`podman kill\`), in the 11 rounds of 2026-12-06 at load 17 against main at 3fce8df: \`up\` 4.23 s
against 4.72 s (faster in 7 rounds of 11), \`down\` 1.68 s against 2.05 s (faster in 10 of 11); one round stalled for
both builds (the 37 and 46 s maxima), which the medians absorb.${BEFORE ? ` The rows "before" are the same rounds with peers built from ${BEFORE_LABEL}; the two builds take turns going first in a round (with one binary in both places, the first \`up\` after the bare run measured 0.4 s slower than the second, at load 12).` : ''}

${table}

Measured again on 2026-12-07 at load 1 to 4 (7 rounds, \`--no-write\`): the bare run 0.47 s, \`up\` → first tick 2.86 s
(6.1×), \`down\` 1.26 s (2.7×): a quieter machine moves the seconds, not the ratios. What the pod itself costs, measured the
same day as the test user (5 interleaved rounds, a bare run 0.37–0.55 s): six \`sleep\` containers of the workspace image
with keep-id, no network, a read-only root and no capabilities, made as \`up\` makes them (the pod created, its infra started beside three \`podman run --detach\`
outside it, then three members at once) took 1.36–1.59 s, and removed (\`pod rm\` beside \`rm\`) 0.87–0.98 s; the same six
without a pod, all at once, 1.10–1.16 s and 0.68–0.75 s. Dropping the pod (the workspace's runner carrying its
loopback ports to Unix sockets, as the setup and gates runners do) would take about 0.25 s off \`up\` and 0.2 s off
\`down\`: 5.5× and 2.3× here, neither goal met, for a new topology of the sandbox; not done. Six containers started at
once already cost 2.4–3 bare runs, so \`up\` → first tick within 3× would need fewer containers than the sandbox's
boundaries ask for (above), whatever peers does around them.

Since (2026-12-08): the loop no longer waits out 300 ms of a quiet usage ledger at the end of every turn before it
reads the turn's spend; it reads it once nothing is open at the vendor and the ledger did not grow over one 25 ms poll
(src/budget/ledger-spend.ts, \`readSettledLedger\`). A \`down\` during a turn paid that wait between the loop's SIGTERM and
its exit (strace of the loop in the pod: the runner's answer that the turn was stopped at +3 ms, the loop's next step at
+305 ms, after three polls of the ledger), and every tick in the pod paid it too. Measured with \`--before\` the build just
before that change, the rows "before" in the table above are that build in the same rounds (\`up\` to the first tick
reads no turn's spend: its two rows differ by the machine's load alone). The bare run's median was 0.47 s on
2026-12-07 and 0.17 to 0.33 s in the runs of 2026-12-08 (single rounds 0.13 to 0.61 s): the ratios move with it.
`;
  writeBenchmarkSection('Pod up and down', section);
}
