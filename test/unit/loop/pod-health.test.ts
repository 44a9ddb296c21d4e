/**
 * A dead container of the pod (src/loop/pod-health.ts): recorded once per change with one log
 * line, cleared when it is back; a turn that failed while one was down is not the peer's failure;
 * `peers up` on a running run with stopped containers restarts them; status names them.
 */
import { describe, expect, test } from 'bun:test';
import { formatDegraded, notePodHealth, podDownCause } from '../../../src/loop/pod-health.ts';
import { finalizeTick } from '../../../src/loop/tick.ts';
import { decideWhileRunning } from '../../../src/loop/up-decision.ts';
import { deadContainers } from '../../../sandbox/reconcile.ts';
import { fail, obs, settings, state } from './fixtures.ts';

describe('pod health', () => {
  test('the loop records which containers are down, since when, and logs each change once', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const down = notePodHealth(state(), ['egress'], t0);
    expect(down.state.degraded).toEqual({ down: ['egress'], since: t0.toISOString() });
    expect(down.line).toBe('peers: degraded: egress down: the run holds (no turn starts) until it is back; `peers up` restarts it');
    // Nothing changed: same state object, no line.
    const again = notePodHealth(down.state, ['egress'], new Date('2026-01-01T00:01:00Z'));
    expect(again.state).toBe(down.state);
    expect(again.line).toBeNull();
    // auth too: the hold started when egress went.
    const both = notePodHealth(down.state, ['egress', 'auth'], new Date('2026-01-01T00:02:00Z'));
    expect(both.state.degraded).toEqual({ down: ['auth', 'egress'], since: t0.toISOString() });
    const back = notePodHealth(both.state, []);
    expect(back.state.degraded).toBeNull();
    expect(back.line).toBe('peers: auth, egress are back: the run goes on');
    expect(notePodHealth(state(), []).state).toEqual(state());
    expect(formatDegraded(['egress', 'auth'])).toBe('degraded: auth, egress down');
  });

  test('a failed turn that ended with a container down is neutral: no failure, no halt, the turn passes on', () => {
    const s = settings();
    const st = state();
    const halted = { reason: 'halt-pattern: connection refused', pattern: 'x', snippet: 'ECONNREFUSED 127.0.0.1:8080', source: 'in-loop' as const };
    const charged = finalizeTick(st, obs(st, { ...fail, halt: halted }), s);
    expect(charged.exit).toEqual({ kind: 'peer-unavailable', peer: 'a' });
    expect(charged.state.budget.consecutive_failures).toBe(1);
    const neutral = finalizeTick(st, obs(st, { ...fail, halt: halted, pod_down: ['auth'] }), s);
    expect(neutral.exit).toBeNull();
    expect(neutral.state.peers.a!.state).toBe('healthy');
    expect(neutral.state.peers.a!.last_failure).toBeNull();
    expect(neutral.state.budget.consecutive_failures).toBe(0);
    expect(neutral.state.tick).toBe(1);
    // A turn that succeeded anyway is just a success.
    expect(finalizeTick(st, obs(st, { pod_down: ['egress'] }), s).state.peers.a!.successes).toBe(1);
  });

  test('peers up on a running run restarts the containers podman shows stopped; none stopped: already running', () => {
    const base = { fresh: false, startOnlyFlags: [], upCommand: 'peers up' };
    expect(decideWhileRunning({ ...base, down: ['egress', 'auth'] })).toEqual({ kind: 'repair', restart: ['auth', 'egress'] });
    expect(decideWhileRunning({ ...base, down: [] })).toEqual({ kind: 'running' });
    // Start-only flags are still refused first.
    expect(decideWhileRunning({ ...base, startOnlyFlags: ['--no-skeptic'], down: ['egress'] }).kind).toBe('refuse');
    const c = (role: string, running: boolean) => ({ name: `peers-x-${role}`, role, status: running ? 'running' : 'exited', running, exitCode: running ? 0 : 137 });
    expect(deadContainers([c('loop', true), c('egress', false), c('auth', true)], [])).toEqual(['egress']);
    // The loop's own record counts too.
    expect(deadContainers([c('loop', true), c('egress', false)], ['auth'])).toEqual(['auth', 'egress']);
  });
});

describe('pod health messages', () => {
  test('two containers down: the log line speaks of them; back, it says they are back', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const down = notePodHealth(state(), ['egress', 'auth', 'egress'], t0);
    expect(down.state.degraded).toEqual({ down: ['auth', 'egress'], since: t0.toISOString() });
    expect(down.line).toBe('peers: degraded: auth, egress down: the run holds (no turn starts) until they are back; `peers up` restarts them');
    expect(notePodHealth(down.state, [], t0).line).toBe('peers: auth, egress are back: the run goes on');
    const one = notePodHealth(state(), ['egress'], t0);
    expect(notePodHealth(one.state, [], t0).line).toBe('peers: egress is back: the run goes on');
  });

  test('a turn failed while containers were down names them, in order, and says it is not charged', () => {
    expect(podDownCause(['egress', 'auth'])).toBe('auth, egress down during the turn (not charged to the peer)');
  });
});
