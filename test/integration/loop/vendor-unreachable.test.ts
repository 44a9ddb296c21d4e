/**
 * The vendor cannot be reached (DNS fails, a corporate proxy is in the way): the auth sidecar
 * answers every request 502 `peers_vendor_unreachable` and claude gives up with it. Through the real
 * loop: the turn is `vendor-unreachable`, not `rate-limited`; no failure is charged; the peer sleeps
 * while the others work; after max_consecutive_failures such turns in a row the run stops, and
 * `peers status` and the report say the vendor is unreachable and what to check.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { formatStatus } from '../../../src/report/status-text.ts';
import { loop, makeProject, state, stopReason, ticks, type Project } from './harness.ts';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const asClaude = { alice: { tool: 'claude' }, bob: { tool: 'claude' } };

describe('a vendor that cannot be reached', () => {
  test('every peer cut off: the run stops as vendor-unreachable:<host> after max_consecutive_failures turns, saying what to check', async () => {
    p = makeProject({ peers: { alice: 'vendor-unreachable-claude', bob: 'vendor-unreachable-claude' }, peerExtra: asClaude, budget: { max_consecutive_failures: 3 } });
    const logs: string[] = [];
    const out = await loop(p, { maxTicks: 20, log: (l) => logs.push(l) });
    expect(out.reason).toBe('vendor-unreachable:api.anthropic.com');
    expect(out.exitCode).toBe(1);
    expect(stopReason(p)).toBe('vendor-unreachable:api.anthropic.com');
    const t = ticks(p);
    expect(t.map((x) => [x.peer, x.classification])).toEqual([
      ['alice', 'vendor-unreachable'],
      ['bob', 'vendor-unreachable'],
      ['alice', 'vendor-unreachable'],
    ]);
    expect(t[0]!.cause).toStartWith('vendor unreachable: cannot reach api.anthropic.com: could not resolve api.anthropic.com: ENOTFOUND');
    expect(logs.some((l) => l.includes('rate-limited') || l.includes('backing off'))).toBe(false);
    expect(logs.filter((l) => l.includes('could not reach its vendor; it sleeps until')).length).toBe(3);
    expect(logs.find((l) => l.startsWith('peers: stopped:'))).toStartWith('peers: stopped: vendor-unreachable:api.anthropic.com — 3 turns in a row could not reach api.anthropic.com; check');
    const s = state(p);
    expect(s.budget.consecutive_failures).toBe(0);
    expect([s.peers.alice!.state, s.peers.bob!.state]).toEqual(['healthy', 'healthy']);
    const summary = readRunSummary(p.stateDir);
    const status = formatStatus(summary);
    expect(status).toContain('Last stop: vendor-unreachable:api.anthropic.com');
    expect(status).toMatch(/^VENDOR UNREACHABLE: the last 3 turn\(s\) in a row could not reach api\.anthropic\.com \(the run stops at 3, budget\.max_consecutive_failures\); check this machine's DNS and any proxy or firewall/m);
    expect(status).toContain('alice: healthy, 0/2 turns handed off, last turn vendor-unreachable');
    expect(status).toContain('last failure (tick 3): vendor unreachable: cannot reach api.anthropic.com: could not resolve api.anthropic.com: ENOTFOUND; check DNS, any proxy or firewall between this machine and api.anthropic.com\n');
    const model = buildReportModel({ summary, project: 'demo', generatedAt: new Date().toISOString(), history: null, egress: null });
    expect(model.outcome.why.join(' ')).toContain('The vendor could not be reached: the last 3 turns in a row got no connection to api.anthropic.com');
    expect(model.outcome.needs_operator).toBe(true);

    // The operator sees to the network and runs `peers up`: no peer sleeps for it any more, and
    // the count starts again (kept, one more unreachable turn stopped the run at once).
    const again = await loop(p, { maxTicks: 1 });
    expect(again.reason).toBe('max_ticks');
    expect(ticks(p)).toHaveLength(4);
    expect(state(p).unreachable_streak).toBe(1);
  });

  test('one peer cut off: it sleeps, uncharged, while the other works; the run goes on', async () => {
    p = makeProject({ peers: { alice: 'vendor-unreachable-claude', bob: 'always-handoff' }, peerExtra: { alice: { tool: 'claude' } }, budget: { max_consecutive_failures: 2 } });
    const out = await loop(p, { maxTicks: 4 });
    expect(out.reason).toBe('max_ticks');
    const t = ticks(p);
    expect(t[0]!.classification).toBe('vendor-unreachable');
    expect(t.filter((x) => x.peer === 'bob').every((x) => x.classification === 'success')).toBe(true);
    expect(state(p).budget.consecutive_failures).toBe(0);
    expect(state(p).peers.alice!.state).toBe('healthy');
  });
});
