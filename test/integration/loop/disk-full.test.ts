/**
 * A disk that fills during a run stops it with a reason naming the file (exit 1, never exit 70),
 * leaves state.json and runs.jsonl valid, and the next `peers loop` resumes once space is back
 * (src/loop/shell/storage-stop.ts). The state dir is a small tmpfs, filled by a fake peer mid-run.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readRunLog } from '../../../src/state/run-log.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { HARD_GOAL_WORK, makeProject, spawnLoopCli, type Project } from './harness.ts';
import { requires } from '../../requirements.ts';

let p: Project | undefined;
let mounted: string | undefined;
afterEach(() => {
  if (mounted) Bun.spawnSync(['umount', '-l', mounted]);
  mounted = undefined;
  p?.cleanup();
  p = undefined;
});

/** Mounting a tmpfs needs root (CAP_SYS_ADMIN); the CI machines run the suite as root. */
const root = requires('root');

async function runCli(project: Project, args: string[], env: Record<string, string>) {
  const child = spawnLoopCli(project, args, env);
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, out: stdout + stderr };
}

describe('disk full', () => {
  test.skipIf(!root.ok)(`a state dir that fills mid-run stops the run as disk-full (exit 1, state valid); freeing space resumes it to complete${root.skipped}`, async () => {
    p = makeProject({ peers: { alice: 'fills-disk', bob: 'always-handoff' }, goals: [HARD_GOAL_WORK], goalsSettings: { convergence_n: 2 } });
    mkdirSync(p.stateDir, { recursive: true });
    const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', p.stateDir], { stderr: 'pipe' });
    expect(mount.stderr.toString()).toBe('');
    mounted = p.stateDir;
    const fill = join(p.stateDir, 'filler.bin');
    const env = { PEERS_TEST_FILL: fill };

    const first = await runCli(p, ['--max-ticks', '10'], env);
    const paths = statePaths(p.stateDir);
    expect(first.out).not.toContain('internal error');
    expect(first.code).toBe(1);
    const reason = readFileSync(paths.stopReason, 'utf8');
    // It names the file it could not write, in the state dir.
    expect(reason.startsWith(`disk-full:${p.stateDir}/`)).toBe(true);
    expect(first.out).toContain(`stopped: ${reason.split(' ')[0]}`);
    expect(first.out).toContain('free space on it');
    // What is on disk is whole: state.json reads back, runs.jsonl has no torn or skipped line.
    const saved = loadState(paths.state);
    expect(saved).toBeDefined();
    const log = readRunLog(paths.runs);
    expect(log.tornTail).toBe(false);
    expect(log.skipped).toBe(0);
    expect(log.lines.filter((l) => l.event === 'exit').map((l) => (l as { reason: string }).reason)).toEqual([reason.split(' ')[0]!]);
    expect(saved!.tick).toBeLessThan(4);

    // Space is back: the next loop resumes where the state stood and completes the run.
    rmSync(fill);
    const second = await runCli(p, ['--max-ticks', '10'], env);
    expect(second.out).not.toContain('internal error');
    expect(second.code).toBe(0);
    expect(readFileSync(paths.stopReason, 'utf8')).toMatch(/^complete /);
    const after = readRunLog(paths.runs);
    expect(after.skipped).toBe(0);
    const ticks = after.lines.filter((l) => l.event === 'tick') as { tick: number; success: boolean }[];
    expect(ticks.map((t) => t.tick)).toEqual(ticks.map((_, i) => i + 1));
    expect(loadState(paths.state)!.tick).toBe(ticks.at(-1)!.tick);
  }, 120_000);
});
