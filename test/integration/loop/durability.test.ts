import { afterEach, describe, expect, test } from 'bun:test';
import { appendFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireRunLock } from '../../../src/state/run-lock.ts';
import { readRunLog } from '../../../src/state/run-log.ts';
import { exits, loop, makeProject, spawnLoopCli, state, stopReason, ticks, writeConfig, promptOf, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await Bun.sleep(25);
  }
}

describe('durable state', () => {
  test('a second loop on the same project refuses to start and names the holder pid', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 1 });
    const lock = acquireRunLock(join(p.stateDir, 'run.lock'));
    try {
      const child = spawnLoopCli(p, ['--max-ticks', '1']);
      const code = await child.exited;
      const err = await new Response(child.stderr).text();
      expect(code).toBe(1);
      expect(err).toContain(`another peers loop (pid ${process.pid}) is already running`);
      expect(ticks(p).length).toBe(1);
    } finally {
      lock.release();
    }
  });

  test('a second loop on the same repository with another state directory is refused; the first runs on', async () => {
    const project = makeProject({ peers: { alice: 'silent', bob: 'always-handoff' }, health: { idle_timeout_s: 30 } });
    p = project;
    const other = { ...project, stateDir: join(project.root, 'other-state') };
    /** A loop whose first turn (alice, silent) is under way. */
    const startedLoop = async (at: Project) => {
      const child = spawnLoopCli(at, ['--max-ticks', '1']);
      let err = '';
      const reader = (async () => {
        for await (const chunk of child.stderr) err += new TextDecoder().decode(chunk);
      })();
      await waitFor(() => err.includes('tick 1 peer=alice starting'), 15000);
      return { child, stop: async () => (child.kill('SIGTERM'), await child.exited, await reader) };
    };
    const first = await startedLoop(project);
    try {
      const second = spawnLoopCli(other, ['--max-ticks', '1']);
      expect(await second.exited).toBe(1);
      expect(await new Response(second.stderr).text()).toContain(`another peers loop (pid ${first.child.pid}) is already running on ${realpathSync(project.repo)} (with another state directory)`);
      // Refused before it started a run in its state directory; the first loop's turn goes on.
      expect(existsSync(join(other.stateDir, 'runs.jsonl'))).toBe(false);
      expect(first.child.exitCode).toBeNull();
    } finally {
      await first.stop();
    }
    // The lock went with the first loop: now the other state directory's loop starts its turn.
    await (await startedLoop(other)).stop();
  });

  test('peers up on a repository a host loop is running on is refused, naming the loop', async () => {
    const project = makeProject({ peers: { alice: 'silent', bob: 'always-handoff' }, health: { idle_timeout_s: 30 } });
    p = project;
    const hostLoop = spawnLoopCli(project, ['--max-ticks', '1']);
    let err = '';
    const reader = (async () => {
      for await (const chunk of hostLoop.stderr) err += new TextDecoder().decode(chunk);
    })();
    try {
      await waitFor(() => err.includes('tick 1 peer=alice starting'), 15000);
      // Its own state and config homes: up's state directory is not the loop's.
      const env = { ...process.env, TMPDIR: join(project.root, 'tmp'), XDG_STATE_HOME: join(project.root, 'xdg-state'), XDG_CONFIG_HOME: join(project.root, 'xdg-config') };
      const up = Bun.spawnSync([process.execPath, join(import.meta.dir, '../../../src/main.ts'), 'up', '--clone-only', project.repo], { env, stderr: 'pipe' });
      expect(up.stderr.toString()).toContain(`a peers loop (pid ${hostLoop.pid}) is running on ${realpathSync(project.repo)} on the host`);
      expect(up.exitCode).toBe(1);
      expect(existsSync(join(project.root, 'xdg-state'))).toBe(false);
    } finally {
      hostLoop.kill('SIGTERM');
      await hostLoop.exited;
      await reader;
    }
  });

  test('SIGTERM during a turn stops the peer, persists state and records `interrupted`', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'silent' }, health: { idle_timeout_s: 30 } });
    const child = spawnLoopCli(p, ['--max-ticks', '5']);
    let err = '';
    const reader = (async () => {
      for await (const chunk of child.stderr) err += new TextDecoder().decode(chunk);
    })();
    await waitFor(() => err.includes('tick 2 peer=bob starting'), 15000);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await child.exited;
    await reader;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(code).toBe(1);
    expect(stopReason(p)).toBe('interrupted');
    expect(exits(p).map((e) => [e.reason, e.ticks_in_run])).toEqual([['interrupted', 2]]);
    // The interrupted turn is recorded as bob's, interrupted, but not charged to bob; the next
    // start gives bob the turn again.
    expect(ticks(p).map((t) => [t.tick, t.peer, t.interrupted ?? false])).toEqual([[1, 'alice', false], [2, 'bob', true]]);
    const s = state(p);
    expect(s.tick).toBe(2);
    expect(s.peer_order[s.turn_index]).toBe('bob');
    expect(s.peers.bob!.last_failure).toBeNull();
    expect(s.peers.bob!.state).toBe('healthy');
    expect(s.budget.consecutive_failures).toBe(0);
  });

  test('SIGTERM while the peer ignores SIGTERM: the peer is killed after its grace and the loop still exits cleanly', async () => {
    p = makeProject({ peers: { alice: 'ignores-sigterm', bob: 'always-handoff' }, health: { kill_grace_s: 1 } });
    const child = spawnLoopCli(p, ['--max-ticks', '5']);
    let err = '';
    const reader = (async () => {
      for await (const chunk of child.stderr) err += new TextDecoder().decode(chunk);
    })();
    await waitFor(() => err.includes('tick 1 peer=alice starting'), 15000);
    // SIGTERM only after the peer has set its trap: it prints once it ignores TERM.
    const peerOut = join(p.stateDir, 'logs', 'tick-00001-alice.stdout.log');
    await waitFor(() => existsSync(peerOut) && readFileSync(peerOut, 'utf8').includes('still here'), 15000);
    const t0 = Date.now();
    child.kill('SIGTERM');
    await child.exited;
    await reader;
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(stopReason(p)).toBe('interrupted');
    // Recorded as alice's interrupted turn; alice keeps the turn.
    expect(ticks(p).map((t) => [t.tick, t.peer, t.interrupted])).toEqual([[1, 'alice', true]]);
    expect(state(p).peer_order[state(p).turn_index]).toBe('alice');
  });

  test('a tick logged but not saved (killed between the two writes) is replayed, never re-run', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] });
    await loop(p, { maxTicks: 1 });
    const before = readFileSync(join(p.stateDir, 'state.json'), 'utf8');
    await loop(p, { maxTicks: 1 });
    // Simulate the crash window: put back the state from before tick 2; runs.jsonl keeps tick 2.
    writeFileSync(join(p.stateDir, 'state.json'), before);
    const logs: string[] = [];
    await loop(p, { maxTicks: 1, log: (l) => logs.push(l) });
    expect(logs.join('\n')).toContain('tick 2 was logged but not saved');
    expect(ticks(p).map((t) => [t.tick, t.peer])).toEqual([
      [1, 'alice'],
      [2, 'bob'],
      [3, 'alice'],
    ]);
    expect(state(p).tick).toBe(3);
  });

  test('a torn last line (power cut mid-append) is skipped and cut before the next append', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] });
    await loop(p, { maxTicks: 1 });
    appendFileSync(join(p.stateDir, 'runs.jsonl'), '{"event":"tick","ts":"2026-');
    expect(readRunLog(join(p.stateDir, 'runs.jsonl')).skipped).toBe(1);
    await loop(p, { maxTicks: 1 });
    const log = readRunLog(join(p.stateDir, 'runs.jsonl'));
    expect(log.skipped).toBe(0);
    expect(ticks(p).map((t) => t.tick)).toEqual([1, 2]);
  });

  test('corrupt state.json is refused with exit 2 naming the file', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    await loop(p, { maxTicks: 1 });
    writeFileSync(join(p.stateDir, 'state.json'), '{"schema_version": 1, "tick": "many"}');
    const child = spawnLoopCli(p, ['--max-ticks', '1']);
    const code = await child.exited;
    const err = await new Response(child.stderr).text();
    expect(code).toBe(2);
    expect(err).toContain(join(p.stateDir, 'state.json'));
    expect(err).toContain('run state is corrupt');
  });

  test('a changed config is an operator action: halted peers come back', async () => {
    p = makeProject({ peers: { alice: 'auth-failure', bob: 'always-handoff' } });
    expect((await loop(p, { maxTicks: 3 })).reason).toBe('peer-unavailable:alice');
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' } });
    // Never adopted silently: the operator accepts the change (see the next test for the refusal).
    const out = await loop(p, { maxTicks: 2, acceptChanges: true });
    expect(out.reason).toBe('max_ticks');
    expect(ticks(p).slice(1).map((t) => [t.peer, t.success])).toEqual([
      ['bob', true],
      ['alice', true],
    ]);
  });

  test('the loop enforces its snapshot: editing goals.yaml mid-run changes nothing and is warned about', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] });
    const script = join(p.root, 'edit-goals.sh');
    writeFileSync(
      script,
      `#!/bin/sh\nprintf 'goals: []\\n' > .peers/goals.yaml\nexec sh ${join(import.meta.dir, '../../fixtures/peers/always-handoff.sh')}\n`,
    );
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' }, peerExtra: { alice: { argv: ['sh', script] } } });
    const out = await loop(p, { maxTicks: 4 });
    // With the live (emptied) goals the run would complete; the snapshot keeps never-green red.
    expect(out.reason).toBe('max_ticks');
    const prompt = promptOf(p!, ticks(p)[1]!);
    expect(prompt).toContain('control-plane edit detected (.peers/goals.yaml modified)');
  });

  test('a .peers/ edited between runs (by a peer on the host, or anyone) is refused with its diff until --accept-changes', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [NEVER_GREEN] });
    const script = join(p.root, 'edit-goals.sh');
    writeFileSync(script, `#!/bin/sh\nprintf 'goals: []\\n' > .peers/goals.yaml\nexec sh ${join(import.meta.dir, '../../fixtures/peers/always-handoff.sh')}\n`);
    writeConfig(p, { peers: { alice: 'always-handoff', bob: 'always-handoff' }, peerExtra: { alice: { argv: ['sh', script] } } });
    expect((await loop(p, { maxTicks: 2, acceptChanges: true })).reason).toBe('max_ticks');
    // The peer emptied goals.yaml during its turn. The next start does not adopt it…
    const refused = await loop(p, { maxTicks: 2 }).then(() => null, (e: Error) => e);
    expect(refused?.name).toBe('InputError');
    expect(refused?.message).toContain(".peers/ changed since the last run's snapshot (.peers/goals.yaml modified)");
    expect(refused?.message).toContain('-  - id: never-green'); // a unified diff
    expect(refused?.message).toContain('+goals: []');
    expect((refused as unknown as { hint?: string }).hint).toContain('--accept-changes');
    const snapshot = readFileSync(join(p.stateDir, 'snapshot', 'goals.yaml'), 'utf8');
    expect(snapshot).toContain('never-green');
    // …until the operator accepts it.
    expect((await loop(p, { maxTicks: 1, acceptChanges: true })).reason).toBe('max_ticks');
    expect(readFileSync(join(p.stateDir, 'snapshot', 'goals.yaml'), 'utf8')).toBe('goals: []\n');
  });

  test('a watched gate red for stuck_halt_after ticks stops the run as stuck:<gate>', async () => {
    p = makeProject({
      peers: { alice: 'always-handoff', bob: 'always-handoff' },
      goals: [{ id: 'tests-pass', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' }],
      goalsSettings: { stuck_halt_after: 3 },
    });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('stuck:tests-pass');
    expect(ticks(p).length).toBe(2);
    expect(state(p).gates.red_streak['tests-pass']).toBe(3);
  });
});
