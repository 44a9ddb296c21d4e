import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exits, loop, makeProject, state, stopReason, ticks, writeConfig, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('peer health with fake peers', () => {
  test('a silent peer is stopped by the idle timeout and the turn fails', async () => {
    p = makeProject({ peers: { alice: 'silent', bob: 'always-handoff' }, health: { idle_timeout_s: 1 } });
    const t0 = performance.now();
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.classification).toBe('idle-timeout');
    expect(t!.success).toBe(false);
    expect(performance.now() - t0).toBeLessThan(8000);
  });

  test('a chatty-but-slow peer outlives the idle timeout and hands off', async () => {
    p = makeProject({ peers: { alice: 'chatty-slow', bob: 'always-handoff' }, health: { idle_timeout_s: 1 } });
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.duration_ms).toBeGreaterThan(1500);
    expect(t!.classification).toBe('success');
    expect(t!.success).toBe(true);
  });

  test('a flood is capped per stream keeping head and tail, marked truncated, and warned about', async () => {
    p = makeProject({ peers: { alice: 'flood', bob: 'always-handoff' }, health: { output_cap_bytes: 65536 } });
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.truncated).toBe(true);
    expect(t!.truncated_streams).toEqual(['stdout']);
    expect(t!.success).toBe(true);
    const log = readFileSync(join(p.stateDir, 'logs', 'tick-00001-alice.stdout.log'), 'utf8');
    expect(log.length).toBeLessThanOrEqual(65536 + 1024);
    expect(log).toContain('FLOOD-HEAD');
    expect(log).toContain('FLOOD-TAIL');
    // Advice for the flooding peer itself: held for alice's next prompt, not spent on bob's.
    expect(state(p).peer_warnings.alice!.join('\n')).toContain('exceeded the 65536-byte cap');
    expect(state(p).warnings.join('\n')).not.toContain('exceeded');
  });

  test('a peer that ignores SIGTERM is killed after the grace period at the absolute cap', async () => {
    p = makeProject({ peers: { alice: 'ignores-sigterm', bob: 'always-handoff' }, health: { absolute_max_runtime_s: 1, kill_grace_s: 1 } });
    const t0 = performance.now();
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect(t!.classification).toBe('absolute-timeout');
    expect(t!.exit_code).toBe(-9);
    expect(performance.now() - t0).toBeLessThan(8000);
  });

  test('a background grandchild holding the pipes open neither stalls the turn nor outlives it', async () => {
    p = makeProject({ peers: { alice: 'leaves-grandchild', bob: 'always-handoff' } });
    const pidFile = join(p.root, 'grandchild.pid');
    writeConfig(p, { peers: { alice: 'leaves-grandchild', bob: 'always-handoff' }, peerExtra: { alice: { env: { GRANDCHILD_PID_TO: pidFile } } } });
    await loop(p, { maxTicks: 1 });
    const [t] = ticks(p);
    expect([t!.classification, t!.success]).toEqual(['success', true]);
    expect(t!.duration_ms).toBeLessThan(4000); // not the idle timeout (5 s), not the sleep (300 s)
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    // The group kill is SIGTERM then SIGKILL; wait for the death itself (a zombie counts as dead).
    const running = () => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (running() && Date.now() < deadline) await Bun.sleep(50);
    expect(running()).toBe(false);
  });

  test('a rate-limited turn is neutral: no failure charged, the turn passes on, backoff grows', async () => {
    p = makeProject({ peers: { alice: 'rate-limited', bob: 'always-handoff' }, budget: { max_consecutive_failures: 1 } });
    const logs: string[] = [];
    const out = await loop(p, { maxTicks: 4, log: (l) => logs.push(l) });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.classification])).toEqual([
      ['alice', 'rate-limited'],
      ['bob', 'success'],
      ['alice', 'rate-limited'],
      ['bob', 'success'],
    ]);
    const s = state(p);
    expect(s.budget.consecutive_failures).toBe(0);
    expect(s.peers.alice!.state).toBe('healthy');
    expect(logs.filter((l) => l.includes('backing off')).length).toBe(2);
  });

  test('rate limits in a row back off 1, 2, 4, 8, 8 × the base (15, 30, 60, 120, 120 s in production)', async () => {
    p = makeProject({ peers: { alice: 'rate-limited', bob: 'rate-limited' }, budget: { max_consecutive_failures: 1 } });
    const out = await loop(p, { maxTicks: 5, backoffBaseMs: 10 });
    expect(out.reason).toBe('max_ticks');
    expect(ticks(p).map((x) => [x.peer, x.classification, x.backoff_ms])).toEqual([
      ['alice', 'rate-limited', 10],
      ['bob', 'rate-limited', 20],
      ['alice', 'rate-limited', 40],
      ['bob', 'rate-limited', 80],
      ['alice', 'rate-limited', 80],
    ]);
    expect(state(p).rate_limit_streak).toBe(5);
    expect(state(p).budget.consecutive_failures).toBe(0);
  });

  test('an authentication failure halts the run as peer-unavailable:<peer>; the peer stays out until reset', async () => {
    p = makeProject({ peers: { alice: 'auth-failure', bob: 'always-handoff' } });
    const out = await loop(p, { maxTicks: 5 });
    expect(out.reason).toBe('peer-unavailable:alice');
    expect(out.exitCode).toBe(1);
    const [t] = ticks(p);
    expect(t!.classification).toBe('api-error');
    expect((t!.halt as { snippet: string }).snippet).toContain('authentication failed');
    expect(t!.matched_error_snippet).toBe('ERROR: authentication failed');
    expect(t!.matched_error_source).toBe('in-loop');
    expect(stopReason(p)).toBe('peer-unavailable:alice');
    expect(state(p).peers.alice!.state).toBe('unavailable');
    // Next start: alice is never scheduled; bob works alone.
    await loop(p, { maxTicks: 2 });
    expect(ticks(p).slice(1).map((x) => x.peer)).toEqual(['bob', 'bob']);
    // Operator action brings alice back (and she fails again, as her credentials are still bad).
    const again = await loop(p, { maxTicks: 2, resetPeers: ['alice'] });
    expect(again.reason).toBe('peer-unavailable:alice');
    expect(exits(p).map((e) => e.reason)).toEqual(['peer-unavailable:alice', 'max_ticks', 'peer-unavailable:alice']);
  });

  test('a quota/auth line inside a diff or log listing does not halt', async () => {
    p = makeProject({ peers: { alice: 'quota-in-diff', bob: 'always-handoff' } });
    const out = await loop(p, { maxTicks: 2 });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t.map((x) => [x.classification, x.success])).toEqual([
      ['success', true],
      ['success', true],
    ]);
    expect(state(p).peers.alice!.state).toBe('healthy');
  });

  test('all peers down halts the run, writes HALTED.md and an exit line, and stays halted until the operator acts', async () => {
    p = makeProject({ peers: { alice: 'crash', bob: 'crash' }, health: { max_retries: 0 }, budget: { max_consecutive_failures: 99 } });
    const out = await loop(p, { maxTicks: 20 });
    expect(out.reason).toBe('peer-unavailable:all-peers-down');
    // 3 failures each degrade a peer (max_retries 0 → alternate): a,b,a,b,a,b
    expect(ticks(p).map((t) => t.classification)).toEqual(Array(6).fill('process-fail'));
    expect(ticks(p)[0]!.stderr_tail).toContain('segmentation fault');
    expect(existsSync(join(p.stateDir, 'HALTED.md'))).toBe(true);
    expect(readFileSync(join(p.stateDir, 'HALTED.md'), 'utf8')).toContain('--reset-peer');
    expect(exits(p).map((e) => e.reason)).toEqual(['peer-unavailable:all-peers-down']);
    const again = await loop(p, { maxTicks: 5 });
    expect(again.reason).toBe('peer-unavailable:all-peers-down');
    expect(ticks(p).length).toBe(6);
  });
});
