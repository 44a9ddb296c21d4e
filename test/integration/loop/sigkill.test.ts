import { afterEach, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRunLog, tickLines } from '../../../src/state/run-log.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { mkdirSync } from 'node:fs';
import { makeProject, spawnLoopCli, type Project } from './harness.ts';

/** The lean entry (same runLoop as `peers loop`, without the command tree) keeps 50 restarts fast. */
function spawnLean(p: Project, maxTicks: number) {
  const tmp = join(p.root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return Bun.spawn([process.execPath, join(import.meta.dir, 'loop-entry.ts'), p.repo, p.stateDir, String(maxTicks)], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, TMPDIR: tmp },
  });
}

let p: Project | undefined;
afterEach(() => p?.cleanup());

/** mulberry32: a tiny seeded PRNG, so a failing schedule can be replayed with PEERS_SIGKILL_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function waitForLine(stream: ReadableStream<Uint8Array>, needle: string): Promise<void> {
  let text = '';
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    text += dec.decode(chunk);
    if (text.includes(needle)) return;
  }
}

function checkInvariants(p: Project, afterKill: boolean): { stateTick: number; logTick: number } {
  const statePath = join(p.stateDir, 'state.json');
  const s = existsSync(statePath) ? loadState(statePath) : undefined; // throws on a torn/corrupt file
  const log = readRunLog(join(p.stateDir, 'runs.jsonl'));
  // At most the very last line may be torn, and only right after a kill.
  expect(log.skipped).toBeLessThanOrEqual(afterKill && log.tornTail ? 1 : 0);
  const nums = tickLines(log).map((t) => t.tick);
  nums.forEach((n, i) => expect(n).toBe(i + 1)); // no tick logged twice, none missing
  const stateTick = s?.tick ?? 0;
  const logTick = nums.length;
  // state.json is written after the log line: it may lag the log by one tick, never lead it.
  expect(logTick - stateTick).toBeGreaterThanOrEqual(0);
  expect(logTick - stateTick).toBeLessThanOrEqual(afterKill ? 1 : 0);
  return { stateTick, logTick };
}

test('SIGKILL at 50 random moments: every restart resumes with intact state.json and parseable runs.jsonl', async () => {
  const seed = Number(process.env.PEERS_SIGKILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const next = rng(seed);
  p = makeProject({
    peers: { alice: 'always-handoff', bob: 'always-handoff' },
    // No gates and an unreachable convergence: every cycle is pure loop work (no checkout).
    goalsSettings: { convergence_n: 100000 },
    // A killed turn counts as a failed one: many kills in a row must not stop the run by its own
    // budget rule, or later restarts would end at once instead of being killed.
    budget: { max_consecutive_failures: 100000 },
  });
  try {
    // How long a tick takes here (a peer turn, the mirror import, the state writes; start-up
    // included): kills are spread over that, so some land after a tick completes however fast the
    // machine is.
    const first = spawnLean(p, 2);
    expect(await first.exited).toBe(0);
    checkInvariants(p, false);
    // Measured warm, from its start line to its exit, the way the kills below are timed: a run of
    // five ticks. Kills land within its first half, so nearly every run is cut short however fast (or
    // slow to start, with the start-up cleanup) the machine is.
    const measured = spawnLean(p, 5);
    await waitForLine(measured.stderr, 'starting...');
    const t0 = performance.now();
    expect(await measured.exited).toBe(0);
    const window = Math.min(3000, Math.max(200, Math.round((performance.now() - t0) / 2)));
    checkInvariants(p, false);
    let kills = 0;
    for (let i = 0; i < 50; i++) {
      const child = spawnLean(p, 5);
      // One kill in five lands during start-up (snapshot, lock, resume); the rest after the first
      // tick began, anywhere in gates, the peer turn, the log append or the state write.
      let started: Promise<unknown> = Promise.resolve();
      if (next() >= 0.2) started = waitForLine(child.stderr, 'starting...');
      const delay = Math.floor(next() * window);
      const finished = await Promise.race([child.exited.then(() => true), started.then(() => Bun.sleep(delay)).then(() => false)]);
      if (!finished) {
        child.kill('SIGKILL');
        kills++;
      }
      await child.exited;
      checkInvariants(p, true);
    }
    expect(kills).toBeGreaterThan(25);
    // A final undisturbed run of the real CLI repairs whatever the last kill left and ends cleanly.
    const child = spawnLoopCli(p, ['--max-ticks', '1']);
    expect(await child.exited).toBe(0);
    const { stateTick, logTick } = checkInvariants(p, false);
    expect(stateTick).toBe(logTick);
    expect(stateTick).toBeGreaterThan(7);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n(replay with PEERS_SIGKILL_SEED=${seed})`);
  }
}, 420_000);
