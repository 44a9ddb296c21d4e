/**
 * The fault suite (issue: a run survives what a night brings). The host loop, with peers that
 * commit in steps and leave a background child, and a hard gate that takes a moment (so kills land
 * in gate checkouts too), is SIGKILLed at seeded random moments and restarted. After each restart:
 *   orphans      no process of a killed loop runs (the parent-death guard; in one kill of four the
 *                guard's watchers are killed first, and the reaper at the next start must do it);
 *   attestation  no commit is credited to a peer other than its author (the honest fakes author
 *                their commits with their own name), and every commit of the run is either
 *                attested or reported unattested; a turn a kill cut short is closed at the next
 *                start as its peer's (interrupted), so none is left unattested;
 *   leftovers    scratch directories of dead loops are gone once a new loop has started, none are
 *                left at the end, and no git worktree is ever registered in the repository.
 * Then SIGTERM at seeded random moments: the loop stops as `interrupted`, promptly.
 * Replay a schedule with PEERS_FAULT_SEED.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../../src/git/git.ts';
import { listProcesses } from '../../../src/proc/proc-table.ts';
import { tmpfsRefusal } from '../../../src/proc/tmpfs-scratch.ts';
import { GUARD_SCRIPT } from '../../../src/proc/parent-death-guard.ts';
import { readAttestations } from '../../../src/protocol/attestation.ts';
import { statePaths } from '../../../src/state/paths.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { readRunLog, tickLines } from '../../../src/state/run-log.ts';
import { makeProject, type Project } from './harness.ts';

let p: Project | undefined;
/**
 * Each project's $XDG_RUNTIME_DIR: a private directory on a tmpfs (in /dev/shm, where that is one
 * with room). The gates' scratch directories go there (src/proc/tmpfs-scratch.ts), so the leftover
 * checks read it as well as the project's temp dir.
 */
const runtimeDirs = new Map<string, string>();
afterEach(() => {
  p?.cleanup();
  for (const dir of runtimeDirs.values()) rmSync(dir, { recursive: true, force: true });
  runtimeDirs.clear();
});
function runtimeDirOf(project: Project): string | undefined {
  if (tmpfsRefusal('/dev/shm') !== null) return undefined;
  let dir = runtimeDirs.get(project.root);
  if (!dir) runtimeDirs.set(project.root, (dir = mkdtempSync('/dev/shm/peers-fault-')));
  return dir;
}

const ENTRY = join(import.meta.dir, 'loop-entry.ts');
const SLOW_GATE = { id: 'slow-gate', type: 'hard', cmd: 'sleep 0.1; true', pass_when: 'exit_code == 0' };

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

function spawnLoop(project: Project, tag: string, maxTicks: number) {
  return Bun.spawn([process.execPath, ENTRY, project.repo, project.stateDir, String(maxTicks)], {
    stdout: 'ignore',
    stderr: 'pipe',
    env: { ...process.env, TMPDIR: join(project.root, 'tmp'), FAULT_TAG: tag, ...(runtimeDirOf(project) ? { XDG_RUNTIME_DIR: runtimeDirOf(project)! } : {}) },
  });
}

/**
 * Reads the stream to its end (stopping early would close the loop's stderr and kill it with
 * EPIPE); `saw` resolves when it has shown `needle`, or false when it ended without.
 */
function watchText(stream: ReadableStream<Uint8Array>, needle: string): { text: () => string; saw: Promise<boolean> } {
  let text = '';
  let seen: (found: boolean) => void = () => {};
  const saw = new Promise<boolean>((resolve) => (seen = resolve));
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk);
      if (text.includes(needle)) seen(true);
    }
    seen(false);
  })();
  return { text: () => text, saw };
}

const readProc = (pid: number, file: string) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
};

/** Running processes started by the loop tagged `tag` (peers and gates inherit its environment). */
function processesOf(tag: string): number[] {
  return listProcesses()
    .filter((p) => !p.zombie && readProc(p.pid, 'environ').split('\0').includes(`FAULT_TAG=${tag}`))
    .map((p) => p.pid);
}

async function settle(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** Scratch directories (scratch-dir.ts names them for their creator), in the temp dir and on the tmpfs; `peers-<uid>` is the runtime dir, kept. */
const scratchDirs = (project: Project) =>
  [join(project.root, 'tmp'), runtimeDirOf(project)].flatMap((parent) => (parent ? readdirSync(parent).filter((n) => /^peers-[a-z-]+-p\d+s\d+-/.test(n)).map((n) => join(parent, n)) : []));

/** No commit credited to anyone but its author; every commit of the run attested or reported. */
function checkAttestation(project: Project): void {
  const state = loadState(statePaths(project.stateDir).state);
  if (!state?.baseline) return;
  const notes = readAttestations(statePaths(project.stateDir).mirror);
  const log = gitOk(project.repo, ['log', '--format=%H %an', `${state.baseline}..HEAD`]).trim();
  for (const line of log ? log.split('\n') : []) {
    const [sha, author] = line.split(' ') as [string, string];
    const noted = notes.get(sha);
    if (noted !== undefined) expect(`${sha.slice(0, 8)} credited to ${noted}`).toBe(`${sha.slice(0, 8)} credited to ${author}`);
  }
  const ticks = tickLines(readRunLog(statePaths(project.stateDir).runs));
  for (const t of ticks) for (const sha of (t.unattested_commits as string[] | undefined) ?? []) expect(notes.has(sha)).toBe(false);
}

describe('fault suite', () => {
  test('SIGKILL at 50 seeded random moments: no orphan, no wrong credit, no pile of leftovers', async () => {
    const seed = Number(process.env.PEERS_FAULT_SEED ?? 20250511);
    const next = rng(seed);
    p = makeProject({ peers: { alice: 'commits-in-steps', bob: 'commits-in-steps' }, goals: [SLOW_GATE], goalsSettings: { convergence_n: 100000 } });
    const project = p;
    mkdirSync(join(project.root, 'tmp'));
    // How long a tick takes here (start-up included): kills are spread over a bit more than that,
    // so they land in start-up, gates, turns and writes, and some ticks complete, however fast the machine.
    const t0 = performance.now();
    const first = spawnLoop(project, `fault-${seed}-first`, 2);
    expect(await first.exited).toBe(0);
    const window = Math.round(Math.min(4000, Math.max(300, ((performance.now() - t0) / 3) * 1.5)));
    let kills = 0;
    let reaperKills = 0;
    /** Processes of the loop killed last time whose guard was disabled: the next start must stop them. */
    let awaitingReaper: string | null = null;
    try {
      for (let i = 0; i < 50; i++) {
        const tag = `fault-${seed}-${i}`;
        const before = scratchDirs(project);
        const child = spawnLoop(project, tag, 1000);
        const out = watchText(child.stderr, 'starting...');
        const started = out.saw;
        // Every loop that got as far as a turn did its start-up cleanup first.
        const gotGoing = await Promise.race([started, child.exited.then(() => true)]);
        // A loop that ended before its first turn says why (checked before what it should have cleaned).
        if (child.exitCode !== null) throw new Error(`loop ${tag} exited by itself with ${child.exitCode} before its first turn: ${out.text().slice(-2000)}`);
        if (gotGoing) {
          if (awaitingReaper) expect(processesOf(awaitingReaper)).toEqual([]);
          for (const dir of before) if (!dir.includes(`-p${child.pid}s`)) expect(`${dir} exists: ${existsSync(dir)}`).toBe(`${dir} exists: false`);
          awaitingReaper = null;
        }
        await Bun.sleep(Math.floor(next() * window));
        const guardOff = next() < 0.25;
        if (child.exitCode === null) {
          if (guardOff) {
            // A `kill -9` that takes the guard's watchers too (everything but the peers and gates).
            for (const w of processesOf(tag)) if (readProc(w, 'cmdline').includes(GUARD_SCRIPT)) process.kill(w, 'SIGKILL');
          }
          child.kill('SIGKILL');
          kills++;
        }
        const code = await child.exited;
        // Nothing stops these loops but the kill: an exit of its own is a failure to explain.
        if (child.signalCode !== 'SIGKILL') throw new Error(`loop ${tag} exited by itself with ${code}: ${out.text().slice(-2000)}`);
        if (guardOff && child.signalCode === 'SIGKILL') {
          awaitingReaper = tag;
          reaperKills++;
        } else if (!(await settle(() => processesOf(tag).length === 0, 5000))) {
          throw new Error(`processes of the killed loop ${tag} still run: ${processesOf(tag).map((pid) => readProc(pid, 'cmdline').replaceAll('\0', ' ')).join(' | ')}`);
        }
        checkAttestation(project);
      }
      expect(kills).toBe(50);
      expect(reaperKills).toBeGreaterThan(3);
      // A last undisturbed run cleans up after the last kill and ends cleanly.
      const last = spawnLoop(project, `fault-${seed}-last`, 1);
      expect(await last.exited).toBe(0);
      if (awaitingReaper) expect(processesOf(awaitingReaper)).toEqual([]);
      checkAttestation(project);
      expect(scratchDirs(project)).toEqual([]);
      expect(existsSync(statePaths(project.stateDir).children)).toBe(false);
      expect(gitOk(project.repo, ['worktree', 'list']).trim().split('\n')).toHaveLength(1);
      // Kills landed mid-turn: each such turn was closed at the next start as its peer's, interrupted
      // (its commits credited to it, checked above), so none is left reported as made outside a turn.
      const state = loadState(statePaths(project.stateDir).state)!;
      expect(tickLines(readRunLog(statePaths(project.stateDir).runs)).filter((t) => t.interrupted === true).length).toBeGreaterThan(0);
      expect(state.unattested).toEqual([]);
      expect(state.tick).toBeGreaterThan(3);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n(replay with PEERS_FAULT_SEED=${seed})`);
    }
  }, 420_000);
});
