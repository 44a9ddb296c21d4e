import { afterEach, describe, expect, test } from 'bun:test';
import { exits, loop, makeProject, spawnLoopCli, state, stopReason, ticks, promptOf, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const NEVER_GREEN = { id: 'never-green', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' };
const metered = { alice: { tool: 'claude' }, bob: { tool: 'claude' } };

describe('budget caps: each named in the stop reason', () => {
  test('budget.max_ticks (cumulative across runs) → budget:max_ticks', async () => {
    p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, budget: { max_ticks: 3 } });
    expect((await loop(p, { maxTicks: 2 })).reason).toBe('max_ticks');
    const out = await loop(p, { maxTicks: 5 });
    expect(out.reason).toBe('budget:max_ticks');
    expect(out.exitCode).toBe(1);
    expect(ticks(p).length).toBe(3);
    expect(exits(p).map((e) => [e.reason, e.ticks_in_run])).toEqual([
      ['max_ticks', 2],
      ['budget:max_ticks', 1],
    ]);
  });

  test('--max-runtime → budget:max_runtime', async () => {
    p = makeProject({ peers: { alice: 'chatty-slow', bob: 'chatty-slow' } });
    const out = await loop(p, { maxTicks: 5, maxRuntimeS: 1 });
    expect(out.reason).toBe('budget:max_runtime');
    expect(ticks(p).length).toBe(1);
    expect(stopReason(p)).toBe('budget:max_runtime');
  });

  test('max_consecutive_failures → budget:max_consecutive_failures', async () => {
    p = makeProject({ peers: { alice: 'crash', bob: 'crash' }, budget: { max_consecutive_failures: 2 } });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('budget:max_consecutive_failures');
    expect(ticks(p).length).toBe(2);
  });

  test('tokens from the claude result envelope count (not nested assistant usage) → budget:max_tokens', async () => {
    p = makeProject({ peers: { alice: 'usage-claude', bob: 'usage-claude' }, peerExtra: metered, budget: { max_tokens: 2000 } });
    const out = await loop(p, { maxTicks: 10 });
    expect(out.reason).toBe('budget:max_tokens');
    const t = ticks(p);
    expect(t.map((x) => x.tokens_this_tick)).toEqual([1100, 1100]);
    const s = state(p);
    expect(s.budget.spent_tokens).toBe(2200);
    expect(s.peers.alice!.tokens).toBe(1100);
    expect(s.peers.bob!.usd).toBeCloseTo(0.75);
  });

  test('--max-usd with max_usd_mode hard → budget:max_usd', async () => {
    p = makeProject({ peers: { alice: 'usage-claude', bob: 'usage-claude' }, peerExtra: metered, budget: { max_usd_mode: 'hard' } });
    const out = await loop(p, { maxTicks: 10, maxUsd: 1 });
    expect(out.reason).toBe('budget:max_usd');
    expect(ticks(p).length).toBe(2);
    expect(state(p).budget.spent_usd).toBeCloseTo(1.5);
  });

  test('max_usd_mode warn: the run continues and the next prompt carries one warning', async () => {
    p = makeProject({ peers: { alice: 'usage-claude', bob: 'usage-claude' }, peerExtra: metered, budget: { max_usd_mode: 'warn', max_usd: 1 }, goals: [NEVER_GREEN] });
    const out = await loop(p, { maxTicks: 4 });
    expect(out.reason).toBe('max_ticks');
    const { readFileSync } = await import('node:fs');
    const prompts = ticks(p).map((t) => promptOf(p!, t));
    expect(prompts.filter((x) => x.includes('max_usd:1.00 reached')).length).toBe(1);
  });

  test('every cap has a `peers loop` flag that overrides the config key', async () => {
    p = makeProject({ peers: { alice: 'usage-claude', bob: 'usage-claude' }, peerExtra: metered, budget: { max_tokens: 1_000_000, max_usd_mode: 'hard' } });
    const byTokens = spawnLoopCli(p, ['--max-ticks', '10', '--max-tokens', '1000']);
    expect(await byTokens.exited).toBe(1);
    expect(stopReason(p)).toBe('budget:max_tokens');
    expect(ticks(p).length).toBe(1);
    const byUsd = spawnLoopCli(p, ['--max-ticks', '10', '--max-tokens', '1000000', '--max-usd', '1']);
    expect(await byUsd.exited).toBe(1);
    expect(stopReason(p)).toBe('budget:max_usd');
    expect(ticks(p).length).toBe(2);
    p.cleanup();
    p = makeProject({ peers: { alice: 'crash', bob: 'crash' }, budget: { max_consecutive_failures: 5 } });
    const byFailures = spawnLoopCli(p, ['--max-ticks', '10', '--max-consecutive-failures', '1']);
    expect(await byFailures.exited).toBe(1);
    expect(stopReason(p)).toBe('budget:max_consecutive_failures');
    expect(ticks(p).length).toBe(1);
  });
});
