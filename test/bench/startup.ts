/**
 * Startup cost of the compiled binary, next to baselines measured in the same run on the same
 * machine (a bare process spawn, and git), so the figures can be compared across machines.
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/startup.ts [--runs N] [--binary PATH] [--no-write]
 *
 * Prints median and min wall time per command, and rewrites the `## Startup` section of BENCHMARKS.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';

const ROOT = resolve(import.meta.dir, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(flag('--runs') ?? 15);
const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));
const WRITE = !args.includes('--no-write');

if (!existsSync(BINARY)) {
  console.error(`${BINARY} does not exist; build it first: node_modules/.bin/bun build.ts`);
  process.exit(2);
}

function git(cwd: string, ...a: string[]): void {
  const r = Bun.spawnSync(['git', '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...a], { cwd, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr.toString()}`);
}

/** A repository with one trivial hard goal, so the verify figure is peers' own overhead. */
function oneGoalRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'peers-bench-'));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, '.gitignore'), '.peers/\n');
  writeFileSync(join(repo, 'README'), 'bench\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'bench');
  mkdirSync(join(repo, '.peers'));
  writeFileSync(join(repo, '.peers/config.yaml'), 'peers:\n  - name: a\n    tool: custom\n    argv: [cat]\n  - name: b\n    tool: custom\n    argv: [cat]\n');
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals:\n  - id: trivial\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n');
  return repo;
}

function measure(argv: string[], cwd: string): { median: number; min: number } {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = Bun.spawnSync(argv, { cwd, stdout: 'pipe', stderr: 'pipe' });
    const dt = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} exited ${r.exitCode}: ${r.stderr.toString()}`);
    if (i >= 2) times.push(dt); // the first two runs warm the page cache
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { median, min: times[0]! };
}

const repo = oneGoalRepo();
try {
  const rows: { name: string; kind: string; median: number; min: number }[] = [];
  const bench = (name: string, kind: string, argv: string[]) => rows.push({ name, kind, ...measure(argv, repo) });
  bench('/bin/true', 'baseline', ['/bin/true']);
  bench('git --version', 'baseline', ['git', '--version']);
  bench('peers --version', 'peers', [BINARY, '--version']);
  bench('peers info', 'peers', [BINARY, 'info']);
  bench('peers verify (1 goal)', 'peers', [BINARY, 'verify']);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const size = (statSync(BINARY).size / 1024 / 1024).toFixed(0);
  const header = `| command | kind | median (ms) | min (ms) |\n| --- | --- | ---: | ---: |`;
  const table = rows.map((r) => `| \`${r.name}\` | ${r.kind} | ${r.median.toFixed(1)} | ${r.min.toFixed(1)} |`).join('\n');
  console.log(`${RUNS} runs each (after 2 warm-up runs), ${cpus().length} × ${cpu}, Bun ${Bun.version}, binary ${size} MiB\n`);
  console.log(header);
  console.log(table);

  if (WRITE) {
    const section = [
      '## Startup',
      '',
      `Measured by \`bun test/bench/startup.ts\` on ${new Date().toISOString().slice(0, 10)}: wall time of the compiled`,
      `\`dist/peers\` (${size} MiB), ${RUNS} runs each after 2 warm-up runs, on ${cpus().length} × ${cpu}, Bun ${Bun.version}.`,
      'The baselines are measured in the same run, so compare against them rather than across machines;',
      'on a shared or busy machine the min column is the steadier figure.',
      '`peers verify` includes a clean checkout (a clone of a read-only view of the repository) and one trivial gate.',
      '',
      header,
      table,
      '',
    ].join('\n');
    const file = writeBenchmarkSection('Startup', section);
    console.log(`\nupdated ${file}`);
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}
