/**
 * Mutation testing of the pure core: how many small deliberate bugs the focused tests catch.
 *
 *   node_modules/.bin/bun test/mutation/run.ts [--json FILE] [SOURCE_SUBSTRING...]
 *
 * Each mutant (see mutators.ts) is written into a private copy of the working tree, never into the
 * tracked files, and the test files mapped to its module (targets.ts) run with `bun test --bail`.
 * A failing run kills the mutant, a passing one lets it survive, a run past the time limit is a
 * timeout (counted as killed, as StrykerJS does). The copy is removed on exit, SIGINT and SIGTERM.
 * Not part of `npm test`: a full run takes minutes. TESTING.md records the last scores.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { applyMutant, listMutants, type Mutant } from './mutators.ts';
import { TARGETS, type MutationTarget } from './targets.ts';

type Outcome = 'killed' | 'survived' | 'timeout';
type ModuleResult = { source: string; killed: number; survived: number; timeout: number; survivors: Mutant[] };

const ROOT = resolve(import.meta.dir, '../..');
const BUN = process.execPath;

function parseArgs(argv: string[]): { json?: string; filters: string[] } {
  const filters: string[] = [];
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = argv[++i];
    else filters.push(argv[i]!);
  }
  return { json, filters };
}

/** A copy of the tracked and untracked (not ignored) files, with node_modules linked, not copied. */
function makeSandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-mutation-'));
  const listed = Bun.spawnSync(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  if (listed.exitCode !== 0) throw new Error(`git ls-files failed in ${ROOT}: ${listed.stderr.toString()}`);
  for (const rel of listed.stdout.toString().split('\0').filter(Boolean)) {
    const from = join(ROOT, rel);
    const to = join(dir, rel);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(from, to);
    } catch {
      // A file deleted in the work tree but still in the index: nothing to copy.
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function runTests(sandbox: string, tests: string[], timeoutMs: number): Promise<{ outcome: Outcome; ms: number }> {
  const started = performance.now();
  const proc = Bun.spawn([BUN, 'test', '--bail', ...tests], {
    cwd: sandbox,
    stdout: 'ignore',
    stderr: 'ignore',
    env: { ...process.env, NO_COLOR: '1' },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill('SIGKILL');
  }, timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const ms = performance.now() - started;
  if (timedOut) return { outcome: 'timeout', ms };
  return { outcome: code === 0 ? 'survived' : 'killed', ms };
}

async function mutateModule(sandbox: string, target: MutationTarget): Promise<ModuleResult> {
  const file = join(sandbox, target.source);
  const original = readFileSync(file, 'utf8');
  const result: ModuleResult = { source: target.source, killed: 0, survived: 0, timeout: 0, survivors: [] };
  const baseline = await runTests(sandbox, target.tests, 120_000);
  if (baseline.outcome !== 'survived') {
    throw new Error(`${target.source}: its tests fail before any mutation (${target.tests.join(' ')}); fix them first`);
  }
  const timeoutMs = Math.max(5_000, baseline.ms * 4);
  const mutants = listMutants(original, target.source);
  process.stdout.write(`${target.source}: ${mutants.length} mutants `);
  try {
    for (const m of mutants) {
      writeFileSync(file, applyMutant(original, m));
      const { outcome } = await runTests(sandbox, target.tests, timeoutMs);
      result[outcome]++;
      if (outcome === 'survived') result.survivors.push(m);
      process.stdout.write(outcome === 'survived' ? 'S' : outcome === 'timeout' ? 'T' : '.');
    }
  } finally {
    writeFileSync(file, original);
  }
  process.stdout.write(` ${score(result).toFixed(1)}%\n`);
  for (const m of result.survivors) console.log(`  survived ${describeMutant(target.source, m)}`);
  return result;
}

function score(r: { killed: number; survived: number; timeout: number }): number {
  const total = r.killed + r.survived + r.timeout;
  return total === 0 ? 100 : ((r.killed + r.timeout) / total) * 100;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

function describeMutant(source: string, m: Mutant): string {
  return `${source}:${m.line}:${m.column}  ${m.operator}: ${oneLine(m.original)} -> ${oneLine(m.replacement) || '(removed)'}`;
}

async function main(): Promise<void> {
  const { json, filters } = parseArgs(process.argv.slice(2));
  const targets = TARGETS.filter((t) => filters.length === 0 || filters.some((f) => t.source.includes(f)));
  if (targets.length === 0) {
    console.error(`no module matches ${filters.join(' ')}; modules are listed in test/mutation/targets.ts`);
    process.exit(2);
  }
  const sandbox = makeSandbox();
  const cleanup = () => rmSync(sandbox, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  const results: ModuleResult[] = [];
  try {
    for (const target of targets) results.push(await mutateModule(sandbox, target));
  } finally {
    cleanup();
  }

  console.log('\nmodule                                   killed  survived  timeout  score');
  for (const r of results) {
    console.log(`${r.source.padEnd(40)} ${String(r.killed).padStart(6)}  ${String(r.survived).padStart(8)}  ${String(r.timeout).padStart(7)}  ${score(r).toFixed(1).padStart(5)}%`);
  }
  const total = results.reduce((a, r) => ({ killed: a.killed + r.killed, survived: a.survived + r.survived, timeout: a.timeout + r.timeout }), { killed: 0, survived: 0, timeout: 0 });
  console.log(`${'total'.padEnd(40)} ${String(total.killed).padStart(6)}  ${String(total.survived).padStart(8)}  ${String(total.timeout).padStart(7)}  ${score(total).toFixed(1).padStart(5)}%`);
  const survivors = results.flatMap((r) => r.survivors.map((m) => ({ source: r.source, ...m })));
  if (survivors.length > 0) {
    console.log('\nsurviving mutants:');
    for (const s of survivors) console.log(`  ${describeMutant(s.source, s)}`);
  }
  if (json) writeFileSync(json, `${JSON.stringify({ results, total: { ...total, score: score(total) } }, null, 2)}\n`);
}

await main();
