/**
 * Loop overhead per tick: `bun test/bench/tick.ts [--write]`.
 *
 * Runs the real loop (in-process runLoop, the same code as `peers loop`) for TICKS ticks with two
 * peers that commit instantly and one trivial hard gate (`true`), so nearly everything measured is
 * the loop's own work: state/log writes, git observation, attestation, the clean checkout for the
 * gate, prompt building. Tick duration = time between consecutive finalized ticks. The baseline,
 * measured in the same run, is the irreducible work of such a tick done by hand: the fake peer's
 * commit (one `sh always-handoff.sh`) plus one gate spawn on a `git worktree` checkout.
 * With --write, replaces the `## Loop tick overhead` section of BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeProject } from '../integration/loop/harness.ts';
import { runLoop } from '../../src/loop/shell/loop-runner.ts';
import { readRunLog, tickLines } from '../../src/state/run-log.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';

const ROOT = resolve(import.meta.dir, '../..');
const TICKS = 40;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const p = makeProject({
  peers: { alice: 'always-handoff', bob: 'always-handoff' },
  goals: [{ id: 'trivial', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }],
  goalsSettings: { convergence_n: 1_000_000 },
});
try {
  await runLoop({ repo: p.repo, stateDir: p.stateDir, maxTicks: TICKS, log: () => {} });
  const ts = tickLines(readRunLog(join(p.stateDir, 'runs.jsonl'))).map((t) => Date.parse(t.ts));
  const tickMs = ts.slice(1).map((t, i) => t - ts[i]!);

  // Baseline: the same peer commit and one gate spawn on a fresh worktree, without the loop.
  const base: number[] = [];
  const fixture = join(ROOT, 'test/fixtures/peers/always-handoff.sh');
  const wt = mkdtempSync(join(tmpdir(), 'peers-bench-wt-'));
  rmSync(wt, { recursive: true, force: true });
  for (let i = 0; i < TICKS; i++) {
    const t0 = performance.now();
    spawnSync('sh', [fixture], { cwd: p.repo, input: '', env: { ...process.env, PEERS_PEER_NAME: 'alice' } });
    spawnSync('git', ['worktree', 'add', '--detach', '--quiet', wt, 'HEAD'], { cwd: p.repo });
    spawnSync('sh', ['-c', 'true'], { cwd: wt });
    spawnSync('git', ['worktree', 'remove', '--force', wt], { cwd: p.repo });
    base.push(performance.now() - t0);
  }
  const loopMed = median(tickMs);
  const baseMed = median(base);
  const rows = [
    `| raw peer commit + gate spawn on a worktree (baseline) | ${baseMed.toFixed(1)} | ${Math.min(...base).toFixed(1)} |`,
    `| loop tick (same work, through peers loop) | ${loopMed.toFixed(1)} | ${Math.min(...tickMs).toFixed(1)} |`,
    `| **loop overhead per tick** (difference of medians) | **${(loopMed - baseMed).toFixed(1)}** | |`,
  ];
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const section = [
    '## Loop tick overhead',
    '',
    `Measured by \`bun test/bench/tick.ts --write\` on ${new Date().toISOString().slice(0, 10)}: ${TICKS} ticks of the real loop`,
    `(two fake peers that commit instantly, one trivial hard gate \`true\`), on ${cpus().length} × ${cpu}, Bun ${Bun.version}.`,
    'The baseline, measured in the same run, is the unavoidable work of such a tick done by hand (the peer',
    'script\'s commit and one gate spawn on a fresh `git worktree`); the difference is what the loop itself costs:',
    'state and runs.jsonl writes with fsync, git observation, attestation notes, prompt building, the lock.',
    '',
    '| what | median (ms) | min (ms) |',
    '| --- | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
  console.log(section);
  if (process.argv.includes('--write')) {
    const file = writeBenchmarkSection('Loop tick overhead', section);
    console.log(`updated ${file}`);
  }
} finally {
  p.cleanup();
}
