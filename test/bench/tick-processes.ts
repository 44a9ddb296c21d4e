/**
 * Processes and time per loop tick, on the compiled binary:
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/tick-processes.ts \
 *     [--before OTHER_BINARY [--before-label TEXT]] [--ticks K (6)] [--rounds N (5)] [--no-write]
 *
 * `peers loop` runs a project whose two fake peers each commit one change and hand off, with one
 * trivial hard gate (`true`). Every process it starts is counted with `strace -f` (execve), for
 * 1 tick and for 1+K ticks; the difference over K is what one tick costs. The baseline, measured
 * in the same run, is a shell loop doing the same work by hand: the same peer script, HEAD read
 * once, the gate's checkout moved to it, the gate run there. What the loop spawns beyond that is
 * its own overhead (the goal: 8 processes, 15 ms). CPU time per tick (the process and everything
 * it waited for) is measured the same way, without strace, in interleaved rounds: less moved by
 * other load on a shared machine than wall time, and the loop's waits are not its cost.
 * `--before` measures another build (an older commit) in the same rounds.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = benchArgs();
const flag = args.flag;
const TICKS = Number(flag('--ticks') ?? 6);
const ROUNDS = Number(flag('--rounds') ?? 5);
const BEFORE = flag('--before');
const BEFORE_LABEL = flag('--before-label') ?? BEFORE;
const BINARY = join(ROOT, 'dist/peers');

for (const b of [BINARY, ...(BEFORE ? [BEFORE] : [])]) {
  if (!existsSync(b)) {
    console.error(`${b} does not exist; build it first: node_modules/.bin/bun build.ts`);
    process.exit(2);
  }
}
if (Bun.spawnSync(['strace', '-V']).exitCode !== 0) {
  console.error('strace is needed to count processes');
  process.exit(2);
}

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' };
/** A proper handoff: one change, a self-review section and the trailers. */
const PEER = [
  'cat >/dev/null',
  'echo "$(date +%s%N)" >> work.txt',
  'git add work.txt',
  'git -c user.name=$PEERS_PEER_NAME -c user.email=p@bench commit -q -m work -m "## Self-Review',
  'Re-read the diff." -m "Self-Review: pass',
  'Peer-Status: handoff',
  'Peer: $PEERS_PEER_NAME"',
  '',
].join('\n');

function sh(cwd: string, script: string): void {
  const r = Bun.spawnSync(['sh', '-ec', script], { cwd, env, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${script}: ${r.stderr.toString()}`);
}

/** A fresh project: repository, peer script, config and goals as a user would write them. */
function project(): { root: string; repo: string; state: string; peer: string } {
  const root = mkdtempSync(join(tmpdir(), 'peers-tick-bench-'));
  const repo = join(root, 'repo');
  const peer = join(root, 'peer.sh');
  writeFileSync(peer, PEER);
  mkdirSync(join(repo, '.peers'), { recursive: true });
  sh(repo, 'git init -q -b main && echo .peers/ > .gitignore && git add -A && git -c user.name=b -c user.email=b@x commit -qm start');
  const p = (name: string) => `  - { name: ${name}, tool: custom, argv: [sh, ${peer}], prompt_mode: stdin }`;
  writeFileSync(join(repo, '.peers/config.yaml'), ['peers:', p('alice'), p('bob'), 'goals: { convergence_n: 1000000 }', ''].join('\n'));
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals:\n  - { id: trivial, type: hard, cmd: "true", pass_when: exit_code == 0 }\n');
  return { root, repo, state: join(root, 'state'), peer };
}

/** The shell loop: `ticks` times the peer, HEAD read once, the gate's checkout moved there, the gate. */
function baselineScript(p: { repo: string; peer: string; root: string }, ticks: number): string {
  const co = join(p.root, 'gate-checkout');
  return [
    `git clone -q --no-checkout ${p.repo} ${co}`,
    `i=0; while [ $i -lt ${ticks} ]; do`,
    `  (cd ${p.repo} && PEERS_PEER_NAME=alice sh ${p.peer} </dev/null)`,
    `  head=$(git -C ${p.repo} rev-parse HEAD)`,
    `  git -C ${co} fetch -q ${p.repo} "$head" && git -C ${co} checkout -q --detach "$head"`,
    `  (cd ${co} && sh -c true)`,
    '  i=$((i+1))',
    'done',
  ].join('\n');
}

/**
 * `fsyncs` and `dirs` (directories made on a disk filesystem; `tmpfsDirs` on a tmpfs) come from the
 * same strace: counts a loaded machine does not blur, unlike CPU time.
 */
type Run = { processes: number; ms: number; kinds: Map<string, number>; fsyncs: number; dirs: number; tmpfsDirs: number };

/** The places a tmpfs is mounted at that a run may make directories in (the loop's gate scratch dirs). */
const TMPFS_ROOTS = [tmpdir(), process.env.XDG_RUNTIME_DIR, '/dev/shm'].filter((d): d is string => {
  try {
    return d !== undefined && statfsSync(d).type === 0x01021994;
  } catch {
    return false;
  }
});
const onTmpfs = (line: string) => {
  const path = /mkdir(?:at)?\((?:AT_FDCWD, )?"([^"]*)"/.exec(line)?.[1] ?? '';
  return TMPFS_ROOTS.some((r) => path.startsWith(`${r}/`));
};

/** What an exec'd process is, from strace's line: `git <subcommand>`, the guard's shell, or the program's name. */
function kindOf(line: string): string {
  const argv = [...(/\[(.*?)\](?:\.\.\.)?, 0x/.exec(line)?.[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  const name = (argv[0] ?? '?').split('/').at(-1)!;
  if (name === 'git') {
    let i = 1;
    // git's own options before the subcommand: `-c k=v`, `-C dir`, `--git-dir=…`.
    while (argv[i] === '-c' || argv[i] === '-C' || argv[i]?.startsWith('--')) i += argv[i]!.startsWith('--') ? 1 : 2;
    return `git ${argv[i] ?? ''}`.trim();
  }
  if (name === 'sh' && argv[1] === '-c') return /^\( \(?trap /.test(argv[2] ?? '') ? 'sh (process-group guard)' : argv[2]?.startsWith('git-upload-pack') ? 'sh (git transport)' : 'sh';
  return name;
}

/** One run of `argv` (under strace when `trace`): processes started, CPU milliseconds (its own and its children's). */
function run(argv: string[], trace: boolean, cwd: string): Run {
  const out = join(tmpdir(), `peers-tick-trace-${process.pid}`);
  const full = trace ? ['strace', '-f', '-qq', '-e', 'trace=execve,fsync,fdatasync,mkdir,mkdirat', '-e', 'signal=none', '-o', out, ...argv] : argv;
  try {
    const r = Bun.spawnSync(full, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
    const ms = Number(r.resourceUsage.cpuTime.total) / 1000;
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.toString().slice(-1500)}`);
    // Successful execs only: a PATH search tries several directories for one process.
    const lines = trace ? readFileSync(out, 'utf8').split('\n').filter((l) => !/= -1 /.test(l)) : [];
    const execs = lines.filter((l) => l.includes('execve('));
    const fsyncs = lines.filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
    const made = lines.filter((l) => /\bmkdir(at)?\(/.test(l));
    const tmpfsDirs = made.filter(onTmpfs).length;
    const dirs = made.length - tmpfsDirs;
    const kinds = new Map<string, number>();
    for (const l of execs) kinds.set(kindOf(l), (kinds.get(kindOf(l)) ?? 0) + 1);
    return { processes: execs.length, ms, kinds, fsyncs, dirs, tmpfsDirs };
  } finally {
    rmSync(out, { force: true });
  }
}

/** What one tick costs: (1+K ticks − 1 tick) / K, each on a fresh project. */
function perTick(start: (ticks: number) => { argv: string[]; cwd: string; cleanup: () => void }, trace: boolean): Run {
  const measure = (ticks: number) => {
    const s = start(ticks);
    try {
      return run(s.argv, trace, s.cwd);
    } finally {
      s.cleanup();
    }
  };
  const one = measure(1);
  const many = measure(1 + TICKS);
  const kinds = new Map<string, number>();
  for (const k of new Set([...one.kinds.keys(), ...many.kinds.keys()])) kinds.set(k, ((many.kinds.get(k) ?? 0) - (one.kinds.get(k) ?? 0)) / TICKS);
  const per = (k: 'processes' | 'ms' | 'fsyncs' | 'dirs' | 'tmpfsDirs') => (many[k] - one[k]) / TICKS;
  return { processes: per('processes'), ms: per('ms'), kinds, fsyncs: per('fsyncs'), dirs: per('dirs'), tmpfsDirs: per('tmpfsDirs') };
}

const loopStart = (binary: string) => (ticks: number) => {
  const p = project();
  return { argv: [binary, 'loop', p.repo, '--state-dir', p.state, '--max-ticks', String(ticks), '--no-recon', '--no-codemap', '--no-skeptic'], cwd: p.root, cleanup: () => rmSync(p.root, { recursive: true, force: true }) };
};
const baselineStart = (ticks: number) => {
  const p = project();
  return { argv: ['sh', '-ec', baselineScript(p, ticks)], cwd: p.root, cleanup: () => rmSync(p.root, { recursive: true, force: true }) };
};

const subjects = [
  { name: 'shell loop doing the same work (baseline)', start: baselineStart },
  ...(BEFORE ? [{ name: `\`peers loop\`, the build before (${BEFORE_LABEL})`, start: loopStart(BEFORE) }] : []),
  { name: '`peers loop` (this build, `dist/peers`)', start: loopStart(BINARY) },
];

const traced = subjects.map((s) => perTick(s.start, true));
const counts = traced.map((t) => t.processes);
/** This build's processes per tick beyond the baseline's, by kind (negative: the baseline starts more of it). */
const extra = [...new Set([...traced[0]!.kinds.keys(), ...traced.at(-1)!.kinds.keys()])]
  .map((k) => ({ k, n: (traced.at(-1)!.kinds.get(k) ?? 0) - (traced[0]!.kinds.get(k) ?? 0) }))
  .filter((e) => Math.abs(e.n) >= 0.05)
  .sort((a, b) => b.n - a.n || a.k.localeCompare(b.k));
const times: number[][] = subjects.map(() => []);
for (let r = 0; r < ROUNDS; r++) subjects.forEach((s, i) => times[i]!.push(perTick(s.start, false).ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = times.map(median);
const base = { processes: counts[0]!, ms: ms[0]! };

const rows = subjects.map((s, i) =>
  i === 0
    ? `| ${s.name} | ${counts[i]!.toFixed(1)} | | ${ms[i]!.toFixed(0)} | | ${traced[i]!.fsyncs.toFixed(1)} | ${traced[i]!.dirs.toFixed(1)} | ${traced[i]!.tmpfsDirs.toFixed(1)} |`
    : `| ${s.name} | ${counts[i]!.toFixed(1)} | ${(counts[i]! - base.processes).toFixed(1)} | ${ms[i]!.toFixed(0)} | ${(ms[i]! - base.ms).toFixed(0)} | ${traced[i]!.fsyncs.toFixed(1)} | ${traced[i]!.dirs.toFixed(1)} | ${traced[i]!.tmpfsDirs.toFixed(1)} |`,
);
const mine = { processes: counts.at(-1)! - base.processes, ms: ms.at(-1)! - base.ms };
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
/** The `/proc/mounts` line of the filesystem mounted at `at`, split (device, mount point, type, options). */
function mountOf(at: string): string[] | undefined {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[1] === at);
  } catch {
    return undefined;
  }
}
/** Whether the filesystem mounted at `at` frees blocks with a synchronous discard. */
const mountedWithDiscard = (at: string) => /(^|,)discard(,|$)/.test(mountOf(at)?.[3] ?? '');
/**
 * Whether `at` is ext4 without a journal: then every inode allocated skips (and reads) the inodes
 * freed in the last minutes (`recently_deleted` in the kernel), so making a file costs more the more
 * the whole machine makes and removes.
 */
function ext4WithoutJournal(at: string): boolean {
  const m = mountOf(at);
  if (m?.[2] !== 'ext4') return false;
  try {
    return readFileSync(`/sys/fs/ext4/${m[0]!.split('/').at(-1)}/journal_task`, 'utf8').trim() === '<none>';
  } catch {
    return false;
  }
}
/**
 * Not measured by this script: a profile of the same project (`process.cpuUsage()` around each step
 * of the loop in an instrumented build, 1 tick against 21; each git process's CPU from `perf
 * record` with a recording `git` first on PATH). Redo it when the figures above move.
 */
const WHERE_THE_TIME_GOES = [
  "Processes per tick rose from 6.0 over the baseline (bf4db43, 2026-12-06) to 9.0 at 5d07419 and 11.0 at cd9de8c, for",
  "verdict checks that dishonest peers showed were needed (SECURITY.md names each), and are 8.0 now (the goal), with every",
  "check kept. Three processes fewer a tick:",
  "- The files the run's commits put under `.peers/` (src/protocol/committed-control-plane.ts, a `--name-status` diff) and",
  "  the links out of the repository (src/protocol/escaping-symlinks.ts, a `--raw` diff) are read from one",
  "  `git diff --raw` of the run's range (src/git/tree-changes.ts), kept per HEAD and shared by convergence and the turn's",
  "  report (src/loop/shell/unread-code.ts): the turn is told the escaping links the run has after it and had not before",
  "  it, where it diffed its own range with a third `git diff`. Two `git diff` fewer.",
  "- The workspace's status script runs as `/bin/sh -c` alone, so the supervisor's guard shell runs it itself",
  "  (src/proc/parent-death-guard.ts), where it exec'd a second shell for it. One `sh` fewer.",
  "A tick now starts four `git diff` (two `-U0`: the turn's range and the run's, for test markers; one `--raw` of the",
  "run's range; one patch for the next prompt). Not done: one `git diff --raw -M` of the run's range could also answer the",
  "renamed tests (src/loop/shell/baseline-tests-run.ts).",
  "",
  "CPU over the baseline: 38 ms at cd9de8c against 29 now in the run above (load 1.3; across this session's runs the same",
  "two builds differed by 1 to 9 ms, so read the direction, not the size). What moved it:",
  "- The sweep of a turn's leftovers (src/proc/marked-leftovers.ts) read every process's environment, and waited out ten",
  "  retries for any that read blank (an exec under way): a container's init started with none (here, as root, pid 1)",
  "  made every sweep scan the whole /proc eleven times, two sweeps a tick. It now reads only processes started since the",
  "  run's first one (their start time, set by the kernel at fork): one scan of the stat files, a few environments.",
  "- Since then the host loop is also its runs' subreaper (src/proc/subreaper.ts), and its sweep at each run's end",
  "  reads the loop's own children from the kernel's per-thread lists rather than the whole process table. Two costs",
  "  found on the way are gone: reading the whole table (about 1 ms a sweep), and a hint the peers' git printed on every",
  "  command (`GIT_GRAFT_FILE=/dev/null`; a path that cannot exist since), which wrote and fsynced a stderr log every",
  "  tick. With both, a build measured 9 ms a tick over the one before it in the same run.",
  "",
  "Since (2026-12-07, against 7d0522c in the same run, load 1.1): neither processes nor CPU moved, with the",
  "verdict checks added since. One of them had added a process: whether a changed document is prose asks a `git grep`",
  "of the tree for its name (src/protocol/prose-paths.ts), and this bench's peers edit a top-level `work.txt` every",
  "turn, so every tick started one (9.0 over the baseline). What a tree's code names is now kept per tree, and a tree",
  "whose change from one already read touched prose alone answers as that one did: no grep past the first turn.",
  "",
  'Where the time over the baseline goes (that profile, 2026-12-06, at commit 8525561, load average 15: read the',
  'proportions): about three quarters is the `peers loop` process itself, 28 ms of CPU per tick there (its JIT and GC',
  'threads included), more than the whole goal; about a quarter, 10 ms, the git processes the baseline does not start',
  '(two `git diff`, `git notes`, `git log`, `git status` and the guards\' shells). `git read-tree` costs what the baseline\'s `git checkout` does, and the',
  "import's `git fetch` (with `index-pack --strict` and the connectivity `rev-list`) what the baseline's `fetch` does. The",
  "loop's 28 ms, by step:",
  '',
  "- observing the turn (the workspace's `git status`, the import, its `git log`): 6.0 ms, the status's start and the",
  '  `fetch` (1.0 ms) and `log` (0.8 ms) calls among them;',
  "- the peer's run: 3.7 ms, its start (1.4 ms) and its output and exit;",
  "- the gate step: 7.6 ms: the last checkout removed, a new `.git` written, `read-tree` (0.75 ms), the gate's",
  '  environment directories, the gate run under its guard (its start 1.4 ms);',
  '- two durable `state.json` writes (before and after the turn): 2.6 ms; the prompt, the convergence input and the run',
  '  line: 2.1 ms;',
  '- the rest of the turn (judging, attestation, the two streamed diffs at 0.75 ms each, history facts): about 4 ms.',
  '',
  'Across those steps, starting the three supervised children (the peer, the workspace\'s `git status`, the gate) took',
  '4.1 ms: node:child_process `spawn` with four pipes 2.2 ms (0.7 each), the `children.json` record (then a new file on the',
  'state directory\'s disk at each start, now rewritten in place: below) 1.3 ms (0.45 each). `Bun.spawnSync` for git instead of node:child_process `spawnSync` saved about 0.1 ms a call',
  '(0.4 against 0.5 ms, about 0.5 ms a tick), then not taken (taken since: below). Outside the loop, `Bun.spawn` starts a child with piped output in 0.4 ms of',
  'CPU where node:child_process `spawn` takes 0.8 ms: the supervised children start with `Bun.spawn` since (src/proc/supervise.ts).',
  '',
  'A second profile (2026-12-06, `perf record -g` of the compiled loop, 1 tick against 21, load average about 10): about 40% of',
  "the `peers loop` process's own CPU is ext4 allocating inodes (`__ext4_new_inode`, most of it `recently_deleted`, which",
  'scans the inodes freed in the last seconds: this root filesystem has no journal) for the files it makes on disk per',
  "tick: the gate checkout's tree and `.git` (5 directories, 4 files) in the temp dir, and 8 atomic writes in the state",
  'directory (`children.json` 3, `state.json` 2, `turn.json`, the prompt, the stage\'s ref; 4 since: below). perf overstates it: in',
  'same-run comparisons of this bench, the gate checkout on a tmpfs (`TMPDIR=/dev/shm` for the loop; in the pod the temp',
  'dir is one) moved nothing beyond the noise (about 5 ms), and the whole project with its state directory on a tmpfs',
  'took about 4 ms off the loop\'s cost over its baseline (33 against 36 ms for the build before, 29 against 33 for this',
  'one). A JavaScript profile of the same run (`BUN_OPTIONS=--cpu-prof`) found the halt and error patterns compiled twice',
  'a turn (now once per process) and the PATH lookup before each supervised start throwing an exception per PATH entry',
  'without the program (now a plain stat).',
  '',
  'Since (2026-12-06, at commit ea61c7f): `children.json` (3 writes a tick) and the stage\'s `refs/peers/head` (1) are',
  'rewritten in place (src/fs/in-place-record.ts: one write of at most a page at offset 0) instead of a new file renamed',
  'over the old, and the stage\'s links of the peers\' object store (src/git/object-store-links.ts) list only the store',
  'directories changed since the last sync, where every sync listed the whole store (two lstats per object, a mkdir per',
  'directory: a cost that grew with the run). On this bench the gain is within the noise of a machine at load 13 to 16:',
  'the same-run medians of the build before and this one moved from 39 to 38 ms over the baseline in one run and from 47',
  'to 33 in another; the `peers loop` process\'s own CPU (`perf stat --no-inherit`, main thread only, 13 ticks against 1,',
  '8 interleaved rounds) went from 26.8 to 24.9 ms a tick. Four `perf record -g` runs of 21 ticks (two per build,',
  'interleaved) put the loop process\'s ext4 inode allocation at 15% to 29% of all the samples, its own share being 33% to',
  '37% (44% to 80% of the loop\'s own CPU): it moves with what the whole machine creates and removes (`recently_deleted`), and it is still the largest part of',
  'the loop\'s CPU, now mostly the gate checkout (5 directories and 4 files a tick on disk) and the 4 atomic writes left.',
  'Measured and not taken: the DFG JIT off (`BUN_JSC_useDFGJIT=0`): 37 against 38 ms over the baseline in the same run.',
  'The same main-thread measure with the temp dir on a tmpfs (`TMPDIR=/dev/shm`: what the loop makes there each tick is the gate checkout; 7 interleaved rounds): 24.2',
  'against 19.7 ms a tick: taken since, with a size rule (below).',
  'Not taken for what they would weaken: reusing the gate checkout\'s tree or `.git` (a process a gate left, `setsid`, keeps',
  'the old tree open or knows its path; a new tree under a new name is what keeps it from the next run: SECURITY.md, "One',
  'gate run leaves nothing for the next"); reading the run\'s test markers from the per-commit scans instead of the',
  '`base..HEAD` diff (a test file renamed in one commit and rewritten in another is a deleted test only in the whole',
  'range\'s diff, where git no longer pairs the two names); dropping the pre-turn `state.json` write (docs/ARCHITECTURE.md, "Crash consistency of a tick").',  '',
  'Since (2026-12-06, at commit 11f2e99): the loop\'s synchronous git calls (seven a tick: the import\'s `fetch`, `log`,',
  '`notes`, three diffs, `read-tree`) run with `Bun.spawnSync` instead of node:child_process `spawnSync` (src/git/git.ts),',
  '0.82 against 1.30 ms of the calling process\'s CPU per `git rev-parse` (5 rounds of 60 calls, load average 23; the',
  '0.1 ms above was measured at a lower load); and the gate checkout\'s trees go to a tmpfs while each one measured, what',
  'its gate wrote included, was at most 64 MiB (src/gates/checkout-place.ts: the first tree on the disk, walked up to the',
  'limit; one on a tmpfs measured by the space its removal frees; one tree over the limit keeps the run\'s later trees on',
  'the disk). Directories made on disk per tick fell from 12.7 to 7.5 (those on a tmpfs rose from 7.0 to 12.0); fsyncs',
  'and processes did not move. The `peers loop` process\'s own CPU (`perf stat --no-inherit`, main thread only, 9 ticks',
  'against 1, interleaved rounds, load average 15 to 23): 39.9 against 29.0 ms a tick in one run (6 rounds, lower in',
  '5 of the 6 pairs), 33.0 against 37.7 in the next (5 rounds): within the noise of this load. That',
  'run\'s whole-process medians were measured at load average 25, where the baseline itself took 177 ms a tick (33 at',
  'low load): 95 against 90 ms over the baseline said nothing either way.',
  'Measured and not taken since: the JIT off (`BUN_JSC_useJIT=0`, as the sidecars run): the loop does not start, its run',
  'lock\'s `flock` goes through bun:ffi, which needs the JIT; the FTL JIT off (`BUN_JSC_useFTLJIT=0`): 29.6 against 25.2',
  'ms a tick of the main thread (3 rounds), no gain. The process-group guard (src/proc/parent-death-guard.ts), measured',
  'alone (`perf stat -r 40`, load average 23): `true` 3.0 ms, `sh -c \'exec "$@"\' true` 5.6 ms, the guard\'s script then',
  '`true` 10.4 ms: its watcher\'s two forks cost about 4.8 ms and its shell\'s exec 2.6 ms per supervised child on this',
  'machine (page-table work is dear on this virtual machine), three children a tick: probably the largest part of the',
  'CPU left over the baseline. Not taken, for every cheaper form found weakens what it guarantees: one watcher for the',
  'whole loop would kill process groups by number (a group gone and its number reused before the loop says so) and',
  'would learn of a child only after it runs, where each guard is in place before the program is exec\'d; a signal on the',
  'lifeline (`F_SETOWN` to the group with `O_ASYNC`) needs the program to keep the descriptor open, and a program may',
  'close it; one fork instead of two leaves the watcher a child of the program, which a shell\'s `wait` would wait for.',
  '',
  'Where the CPU over the baseline goes now (2026-12-08, at commit 1378fa9, `perf record -F 4000` of the compiled loop and',
  'of the shell baseline, 1 tick against 13, three runs each, load average 1 to 3; per tick, by where the samples fell):',
  'the kernel 12.8 ms (starting and ending the processes the baseline does not start, their page faults, and ext4',
  'allocating inodes for the files made on disk: `recently_deleted` again), code of the `peers` binary 12.4 ms (the',
  'JavaScript interpreter and runtime: the loop\'s ticks are too few and far apart for the optimizing JIT to take its code',
  'over; compiled JavaScript itself was 0.8 ms), the dynamic loader 2.6 ms (glibc probing the CPU with `cpuid` at every',
  'process start, which traps to the hypervisor on this virtual machine), libc 1.0 ms. By process: the `peers loop`',
  'process\'s main thread about 20 ms of its own (12 in user space, 8.5 in the kernel), its JIT and GC threads about 3;',
  'the git and guard processes beyond the baseline\'s the rest. Each process the loop starts costs 1.5 to 2 ms here',
  'whatever it does (`git ls-files` of 3 files: 1.1 ms in git alone). So the 15 ms goal needs most of the loop\'s git reads',
  'done inside its own process (a JavaScript reader of git objects that peers wrote, which is new attack surface on the',
  'verdict\'s inputs) as well as a loop process doing less per tick; neither is done, and the goal stays not met.',
];

const section = [
  '## Loop processes per tick',
  '',
  `Measured by \`bun test/bench/tick-processes.ts${BEFORE ? ' --before <older build>' : ''}\` on ${new Date().toISOString().slice(0, 10)}, on ${cpus().length} × ${cpu}, Bun ${Bun.version}, load average ${loadavg()[0]!.toFixed(1)}.`,
  'The compiled `peers loop` runs two fake peers that each commit one change and hand off, and one trivial hard gate (`true`).',
  `Processes are counted with \`strace -f\` (every successful execve, git's own helpers included) for 1 tick and for ${1 + TICKS}; the`,
  `difference over ${TICKS} is one tick. CPU time per tick (the process and every process it waited for) is measured the same way`,
  `without strace, median of ${ROUNDS} interleaved rounds.`,
  'The baseline, in the same run, is a shell loop doing the same work by hand: the same peer script, HEAD read once, one',
  'reused gate checkout moved to it, the gate run there. "Over the baseline" is what the loop itself costs.',
  'fsyncs (and fdatasyncs) and directories made per tick come from the same strace as the processes: unlike CPU time, a',
  'loaded machine does not blur them. A directory made per tick is one removed per tick too (gate checkouts, gate HOMEs),',
  'and where the filesystem frees blocks with a synchronous discard (ext4 mounted `discard`; the root filesystem here:',
  `${mountedWithDiscard('/') ? 'yes' : 'no'}), making and removing one costs about 0.5 ms of system CPU (0.01 ms on tmpfs); on ext4`,
  `without a journal (here: ${ext4WithoutJournal('/') ? 'yes' : 'no'}) every file or directory made also skips the inodes freed in the last minutes,`,
  'so it costs more the more the whole machine makes and removes files.',
  '',
  '| what | processes per tick | over the baseline | CPU ms per tick | over the baseline (ms) | fsyncs per tick | directories made per tick, on disk | on a tmpfs |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
  `Goal: at most 8 processes and 15 ms per tick over the baseline: ${mine.processes <= 8 ? 'met' : 'not met'} for processes (${mine.processes.toFixed(1)}), ${mine.ms <= 15 ? 'met' : 'not met'} for CPU time (${mine.ms.toFixed(0)} ms).`,
  '',
  `What this build starts per tick beyond the baseline, by kind (from the same strace): ${extra.map((e) => `${e.n > 0 ? '+' : ''}${e.n.toFixed(1)} \`${e.k}\``).join(', ') || 'nothing'}.`,
  '',
  ...WHERE_THE_TIME_GOES,
  '',
].join('\n');
console.log(section);
if (args.write) console.log(`updated ${writeBenchmarkSection('Loop processes per tick', section)}`);
