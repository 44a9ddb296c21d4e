/**
 * Config and goals parsing against file size, on the compiled binary: `peers info` (which loads and
 * validates both files) on files of growing size, next to `peers info` on the files `peers init`
 * writes (the baseline, measured in the same run: startup and everything else info does). The
 * difference is the parse; CPU time and peak memory (max RSS) both grow linearly when the parse is
 * linear. Before the linear parser a 50,000-key mapping took 21 s (quadratic) and a million-deep nesting 10 s
 * and 915 MB; the last rows show what those inputs cost now.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/yaml-parse.ts [--runs N] [--no-write]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const ROOT = resolve(import.meta.dir, '../..');
const BINARY = join(ROOT, 'dist/peers');
const { flag, write: WRITE } = benchArgs();
const RUNS = Number(flag('--runs') || 3) || 3;

if (!existsSync(BINARY)) {
  console.error(`${BINARY} does not exist; build it first: node_modules/.bin/bun build.ts`);
  process.exit(2);
}

const root = mkdtempSync(join(tmpdir(), 'peers-yaml-bench-'));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home/.config'), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' };
const repo = join(root, 'repo');
for (const argv of [['git', 'init', '-q', '-b', 'main', repo], ['git', '-C', repo, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'x'], [BINARY, 'init', repo]]) {
  const r = Bun.spawnSync(argv, { env, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString()}`);
}
const configPath = join(repo, '.peers/config.yaml');
const goalsPath = join(repo, '.peers/goals.yaml');
const initConfig = readFileSync(configPath, 'utf8');
const initGoals = readFileSync(goalsPath, 'utf8');

/** `n` valid hard goals: the realistic way a goals file grows. */
function goals(n: number): string {
  return `goals:\n${Array.from({ length: n }, (_, i) => `  - id: goal-${i}\n    type: hard\n    description: check number ${i} of a long goal program\n    cmd: "test -f file-${i}.txt"\n    pass_when: exit_code == 0 and "ok" in stdout\n    timeout_s: 60\n`).join('')}`;
}

/** The init config plus `n` unknown keys in one mapping (every key an error to locate and report). */
function wideConfig(n: number): string {
  return initConfig.replace(/^budget:\n/m, `budget:\n${Array.from({ length: n }, (_, i) => `  unknown_key_${i}: ${i}`).join('\n')}\n`);
}

type Sample = { cpuMs: number; rssMiB: number; code: number };

function measure(config: string, goalsText: string): Sample {
  writeFileSync(configPath, config);
  writeFileSync(goalsPath, goalsText);
  let best: Sample | undefined;
  for (let i = 0; i < RUNS; i++) {
    const r = Bun.spawnSync([BINARY, 'info', '--json', '-C', repo], { env, stdout: 'pipe', stderr: 'pipe' });
    const s = { cpuMs: Number(r.resourceUsage.cpuTime.total) / 1000, rssMiB: r.resourceUsage.maxRSS / 1024 / 1024, code: r.exitCode ?? -1 };
    if (!best || s.cpuMs < best.cpuMs) best = s;
  }
  return best!;
}

const rows: string[] = [];
try {
  const base = measure(initConfig, initGoals);
  const baseBytes = Buffer.byteLength(initConfig) + Buffer.byteLength(initGoals);
  rows.push(`| files \`peers init\` writes (baseline) | ${(baseBytes / 1024).toFixed(0)} | ${base.code} | ${base.cpuMs.toFixed(0)} | — | — | ${base.rssMiB.toFixed(0)} | — |`);
  const series = (label: string, inputs: [string, string][]) => {
    let previous: { bytes: number; cpu: number; rss: number } | undefined;
    for (const [config, goalsText] of inputs) {
      const bytes = Buffer.byteLength(config) + Buffer.byteLength(goalsText);
      const s = measure(config, goalsText);
      const cpu = Math.max(0, s.cpuMs - base.cpuMs);
      const rss = Math.max(0, s.rssMiB - base.rssMiB);
      const ratio = (a: number, b: number | undefined) => (previous && b && b > 0 ? (a / b).toFixed(2) : '—');
      rows.push(`| ${label} | ${(bytes / 1024).toFixed(0)} | ${s.code} | ${s.cpuMs.toFixed(0)} | ${cpu.toFixed(0)} | ${ratio(cpu, previous?.cpu)} (size ×${previous ? (bytes / previous.bytes).toFixed(1) : '—'}) | ${s.rssMiB.toFixed(0)} | ${rss.toFixed(0)} |`);
      console.log(rows.at(-1));
      previous = { bytes, cpu, rss };
    }
  };
  series('goals: N valid hard goals', [2500, 5000, 10_000].map((n) => [initConfig, goals(n)]));
  series('config: N unknown keys in one mapping', [12_500, 25_000, 50_000].map((n) => [wideConfig(n), initGoals]));
  series('goals: a million-deep flow nesting (refused at depth 64)', [[initConfig, `goals: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`]]);
} finally {
  rmSync(root, { recursive: true, force: true });
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const section = [
  '## Config and goals parsing',
  '',
  `Measured by \`bun test/bench/yaml-parse.ts\` on ${new Date().toISOString().slice(0, 10)}: \`peers info --json\` of the compiled binary (it loads and`,
  'validates `.peers/config.yaml` and `.peers/goals.yaml`) on files of growing size, next to the files `peers init` writes',
  `(the baseline, measured in the same run). CPU time (best of ${RUNS}) and peak RSS of the process, on ${cpus().length} × ${cpu}, Bun ${Bun.version}.`,
  'Parse cost = CPU minus the baseline\'s. Its ratio to the previous row stays at or below the size ratio (2.0 here), as a',
  'linear parse\'s does (fixed costs such as the JIT warming up amortize over bigger files); a quadratic one would show 4.',
  'Exit 2 rows are files refused with file:line:column messages (20 at most), the expected outcome for those inputs.',
  'Before the linear parser: a 50,000-key mapping took 21 s (the yaml library\'s pairwise duplicate-key check, and a key lookup',
  'per reported issue), a million-deep nesting 10 s and 915 MB. Files over 2 MiB are refused before parsing.',
  '',
  '| input | KiB | exit | CPU (ms) | parse cost (ms) | cost ratio to previous | max RSS (MiB) | RSS over baseline (MiB) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  '',
].join('\n');
if (WRITE) console.log(`wrote ${writeBenchmarkSection('Config and goals parsing', section)}`);
