/**
 * What `peers up` does with a project's run: start, resume, say it is running, refuse, or say why
 * the run stopped and what would continue it. The decision uses the loop's own stop rules, so a
 * resumed run never "starts" only to stop again at once.
 */
import { describe, expect, test } from 'bun:test';
import { decideUp, decideWhileRunning, whatNext, whyStopped, type UpSituation } from '../../../src/loop/up-decision.ts';
import { withOperatorControl } from '../../../src/loop/settings.ts';
import { withMaxRuntime, withPaused } from '../../../src/state/operator-control.ts';
import type { LoopState } from '../../../src/state/state-schema.ts';
import { settings, state } from './fixtures.ts';

function situation(over: Partial<UpSituation> = {}): UpSituation {
  return {
    status: 'stopped',
    stop: { kind: 'interrupted' },
    state: state(),
    settings: settings(),
    configChanged: false,
    resetPeers: [],
    fresh: false,
    startOnlyFlags: [],
    upCommand: 'peers up',
    resultsBranch: 'peers/app',
    ...over,
  };
}
const withBudget = (s: LoopState, b: Partial<LoopState['budget']>): LoopState => ({ ...s, budget: { ...s.budget, ...b } });

describe('peers up on a run that can go on', () => {
  test('never started: start; interrupted, crashed, or stopped at its per-run --max-ticks: resume', () => {
    expect(decideUp(situation({ status: 'fresh', stop: null, state: null }))).toEqual({ kind: 'start', archive: false });
    expect(decideUp(situation()).kind).toBe('resume');
    expect(decideUp(situation({ status: 'crashed', stop: null })).kind).toBe('resume');
    expect(decideUp(situation({ status: 'crashed', stop: { kind: 'error', name: 'TypeError' } })).kind).toBe('resume');
    expect(decideUp(situation({ stop: { kind: 'max_ticks' } })).kind).toBe('resume');
  });

  test('a resumed run names the peers that will sit out and why', () => {
    const s = state();
    s.peers.b = { ...s.peers.b!, state: 'unavailable', reason: 'halt-pattern: invalid x-api-key' };
    const d = decideUp(situation({ state: s, stop: { kind: 'peer-unavailable', peer: 'b' }, settings: withOperatorControl(settings(), withPaused(null, 'a', true)) }));
    expect(d).toEqual({
      kind: 'resume',
      notes: ['b is unavailable (authentication failed (its output matched invalid x-api-key): check b\'s API key or CLI login): it gets no turn until peers up --reset-peer b', 'a is paused: it gets no turn until `peers resume a`'],
    });
  });

  test('already running: nothing to start; start-only flags are refused (exit 2), --fresh too (exit 1)', () => {
    expect(decideUp(situation({ status: 'running' }))).toEqual({ kind: 'running' });
    expect(decideUp(situation({ status: 'running', startOnlyFlags: ['--no-skeptic'] }))).toMatchObject({ kind: 'refuse', exitCode: 2, hint: 'peers down, then peers up --no-skeptic (it resumes from the saved tick)' });
    expect(decideUp(situation({ status: 'running', fresh: true }))).toMatchObject({ kind: 'refuse', exitCode: 1, hint: 'stop it first: peers down, then peers up --fresh' });
  });

  test('a rehearsal does not continue a real run, nor a real run a rehearsal: --fresh starts over (exit 2 otherwise)', () => {
    expect(decideUp(situation({ mode: 'real', previousMode: 'rehearsal' }))).toMatchObject({ kind: 'refuse', exitCode: 2, hint: 'continue the rehearsal: peers up --rehearse SCENARIO.yaml; or start a real run over it: peers up --fresh (the rehearsal is archived, nothing is deleted)' });
    expect(decideUp(situation({ mode: 'rehearsal', previousMode: 'real' }))).toMatchObject({ kind: 'refuse', exitCode: 2, hint: 'continue the real run: peers up; or rehearse from scratch: peers up --fresh --rehearse SCENARIO.yaml (the real run is archived, nothing is deleted)' });
    expect(decideUp(situation({ mode: 'real', previousMode: 'rehearsal', fresh: true }))).toEqual({ kind: 'start', archive: true });
    expect(decideUp(situation({ mode: 'rehearsal', previousMode: 'rehearsal' })).kind).toBe('resume');
  });

  test('--fresh on a stopped run archives it and starts; on a project that never ran there is nothing to archive', () => {
    expect(decideUp(situation({ fresh: true, stop: { kind: 'complete' } }))).toEqual({ kind: 'start', archive: true });
    expect(decideUp(situation({ fresh: true, status: 'fresh', stop: null, state: null }))).toEqual({ kind: 'start', archive: false });
  });
});

describe('peers up on a finished run says why it stopped and what to do', () => {
  test('complete: exit 0, how to read it, take it, start over or add goals; changed goals continue it', () => {
    const d = decideUp(situation({ stop: { kind: 'complete' }, state: { ...state(), tick: 7 } }));
    expect(d).toMatchObject({ kind: 'finished', exitCode: 0, why: "complete: every hard gate green, the reviews and the skeptic's audit clean (tick 7)" });
    if (d.kind !== 'finished') throw new Error();
    expect(d.next).toEqual([
      'read it: peers report',
      'take the work: git log -p peers/app, then git merge peers/app',
      'start over from your current HEAD: peers up --fresh (this run is archived, nothing is deleted)',
      'or continue it with more goals: edit .peers/goals.yaml, then peers up --accept-changes (the run continues where it stopped)',
    ]);
    expect(decideUp(situation({ stop: { kind: 'complete' }, configChanged: true })).kind).toBe('resume');
  });

  test('budget:max_usd: exit 1 with the spend; a higher --max-usd (in the settings) continues it', () => {
    const s = withBudget(state(), { spent_usd: 20.5 });
    const capped = settings({ budget: { ...settings().budget, maxUsd: 20 } });
    const d = decideUp(situation({ stop: { kind: 'budget', cap: 'max_usd' }, state: s, settings: capped, upCommand: 'peers up app' }));
    expect(d).toMatchObject({ kind: 'finished', exitCode: 1, why: 'budget:max_usd: spent $20.50 of the $20.00 cap (the auth sidecar refuses a request the rest cannot cover)' });
    if (d.kind === 'finished') expect(d.next[0]).toBe('raise the cap for this run: peers up app --max-usd 41');
    expect(decideUp(situation({ stop: { kind: 'budget', cap: 'max_usd' }, state: s, settings: settings({ budget: { ...settings().budget, maxUsd: 41 } }) })).kind).toBe('resume');
    // A request the sidecar refused under the current cap also keeps it stopped, below the cap too.
    const refused = decideUp(situation({ state: withBudget(state(), { spent_usd: 19 }), settings: capped, budgetRefusals: { max_usd: { limit: 20 } } }));
    expect(refused).toMatchObject({ kind: 'finished', stop: { kind: 'budget', cap: 'max_usd' } });
  });

  test('budget:max_runtime: `--max-runtime +6h` is the way on; with it (in the control) the run resumes', () => {
    const s = withBudget(state(), { spent_runtime_ms: 21_600_000 });
    const d = decideUp(situation({ stop: { kind: 'budget', cap: 'max_runtime' }, state: s }));
    expect(d).toMatchObject({ kind: 'finished', why: "budget:max_runtime: the peers' turns took 6h of the 6h cap", next: ['give it more time: peers up --max-runtime +6h', expect.stringContaining('--fresh')] });
    expect(decideUp(situation({ state: s, settings: withOperatorControl(settings(), withMaxRuntime(null, 43_200)) })).kind).toBe('resume');
  });

  test('budget:max_consecutive_failures: the last failures are named; --reset-peer forgives the streak', () => {
    const s = withBudget(state(), { consecutive_failures: 5 });
    s.peers.a = { ...s.peers.a!, last_failure: { tick: 4, cause: 'git: no identity' } };
    const d = decideUp(situation({ state: s }));
    expect(d).toMatchObject({ kind: 'finished', why: 'budget:max_consecutive_failures: 5 failed turns in a row (budget.max_consecutive_failures is 5); last failures: a: git: no identity (tick 4)' });
    expect(decideUp(situation({ state: s, resetPeers: ['all'] })).kind).toBe('resume');
  });

  test('budget:max_ticks (all runs together): only a higher budget.max_ticks continues it', () => {
    const s = { ...state(), tick: 200 };
    expect(decideUp(situation({ state: s }))).toMatchObject({ kind: 'finished', why: 'budget:max_ticks: 200 ticks of budget.max_ticks 200' });
    expect(decideUp(situation({ state: s, configChanged: true, settings: settings({ budget: { ...settings().budget, maxTicks: 300 } }) })).kind).toBe('resume');
  });

  test('halted (every peer down): why each is down; --reset-peer all continues it, --reset-peer of an unknown peer is bad input', () => {
    const s = state();
    for (const p of ['a', 'b']) s.peers[p] = { ...s.peers[p]!, state: 'unavailable', reason: 'halt-pattern: 401' };
    s.halted = { reason: 'peer-unavailable:all-peers-down', at_tick: 3 };
    const d = decideUp(situation({ state: s, stop: { kind: 'all-peers-down' } }));
    expect(d).toMatchObject({ kind: 'finished', exitCode: 1, why: 'peer-unavailable:all-peers-down: no peer can take a turn (a unavailable: authentication failed (its output matched 401): check a\'s API key or CLI login; b unavailable: authentication failed (its output matched 401): check b\'s API key or CLI login)' });
    if (d.kind === 'finished') expect(d.next[1]).toBe('fix the cause (a key, a login, a model name, a quota), then peers up --reset-peer all');
    expect(decideUp(situation({ state: s, resetPeers: ['all'] })).kind).toBe('resume');
    expect(() => decideUp(situation({ state: s, resetPeers: ['zed'] }))).toThrow('--reset-peer zed: no such peer');
  });

  test('blocked: the peers\' reason; a changed config is the answer that continues it', () => {
    const s: LoopState = { ...state(), blocked: { by: 'a', reason: 'the spec asks for two contradictory outputs', sha: 'x', at_tick: 2, confirmed_by: 'b', confirm_reason: 'agreed' } };
    expect(decideUp(situation({ state: s, stop: { kind: 'blocked' } }))).toMatchObject({ kind: 'finished', why: 'blocked: a says the task cannot be done as specified: "the spec asks for two contradictory outputs" (confirmed by b)' });
    expect(decideUp(situation({ state: s, stop: { kind: 'blocked' }, configChanged: true })).kind).toBe('resume');
  });

  test('stuck:<gate>: the gate\'s first output line; changed goals (gates evaluated again) continue it', () => {
    const s = state();
    s.gates = { head: 'abc', results: { 'tests-pass': { state: 'fail', diagnostic: '\nnpm ERR! missing script: test\nmore', duration_ms: 1, cached: false } }, red_streak: { 'tests-pass': 5 }, counted_for_tick: 0 };
    expect(decideUp(situation({ state: s, stop: { kind: 'stuck', gate: 'tests-pass' } }))).toMatchObject({
      kind: 'finished',
      why: 'stuck:tests-pass: gate tests-pass was red 5 evaluations in a row (goals.stuck_halt_after is 5): npm ERR! missing script: test',
    });
    expect(decideUp(situation({ state: s, configChanged: true })).kind).toBe('resume');
  });
});

describe('what peers up prints for every way a run can stop', () => {
  const FRESH = 'start over from your current HEAD: peers up --fresh (this run is archived, nothing is deleted)';
  const accept = (what: string) => `${what}, then peers up --accept-changes (the run continues where it stopped)`;
  const next = (stop: Parameters<typeof whatNext>[0], st: LoopState | null = state(), maxUsd?: number) =>
    whatNext(stop, { upCommand: 'peers up', resultsBranch: 'peers/app', state: st, settings: { ...settings(), budget: { ...settings().budget, maxUsd } } });

  test('the next steps name the exact command for each stop', () => {
    expect(next({ kind: 'blocked' })).toEqual(['read why: peers report', accept('answer it: change .peers/goals.yaml or .peers/config.yaml'), FRESH]);
    expect(next({ kind: 'stuck', gate: 'lint' })).toEqual(["see the gate's output: peers status", accept('fix the gate in .peers/goals.yaml, or raise goals.stuck_halt_after in .peers/config.yaml'), FRESH]);
    const down = ["see why: peers status (each peer's last failure) and peers logs", 'fix the cause (a key, a login, a model name, a quota), then peers up --reset-peer all', FRESH];
    expect(next({ kind: 'all-peers-down' })).toEqual(down);
    expect(next({ kind: 'peer-unavailable', peer: 'a' })).toEqual(down);
    // A rehearsal whose scenario ran out: up says so, as the report does, not "fix a key".
    const ranOut = whatNext({ kind: 'all-peers-down' }, { upCommand: 'peers up', continueCommand: 'peers up --rehearse s.yaml', resultsBranch: 'peers/app', state: state(), settings: settings(), scriptEnds: ["peer 'codex' has only 3 scripted tick(s)"] });
    expect(ranOut[0]).toBe("the rehearsal's scenario ran out (peer 'codex' has only 3 scripted tick(s)): add ticks to it (peers report says more), then peers up --rehearse s.yaml --reset-peer all");
    // With the default health settings such a rehearsal stops at the failures' cap first (a real
    // rehearsal did: test/e2e/new-user-first-run.test.ts): the same words, not "fix the cause".
    const capped = whatNext({ kind: 'budget', cap: 'max_consecutive_failures' }, { upCommand: 'peers up', continueCommand: 'peers up --rehearse s.yaml', resultsBranch: 'peers/app', state: state(), settings: settings(), scriptEnds: ["peer 'codex' has only 3 scripted tick(s)"] });
    expect(capped).toEqual([ranOut[0]!, 'start over from your current HEAD: peers up --rehearse s.yaml --fresh (this run is archived, nothing is deleted)']);
    expect(next({ kind: 'budget', cap: 'max_usd' }, null)).toEqual(['raise the cap for this run: peers up --max-usd 1', accept('or raise budget.max_usd in .peers/config.yaml'), FRESH]);
    expect(next({ kind: 'budget', cap: 'max_usd' }, withBudget(state(), { spent_usd: 0.2 }))[0]).toBe('raise the cap for this run: peers up --max-usd 1');
    expect(next({ kind: 'budget', cap: 'max_usd' }, withBudget(state(), { spent_usd: 3.1 }))[0]).toBe('raise the cap for this run: peers up --max-usd 7');
    // A $3 cap whose first request was refused unsent (its reservation was more than $3): the
    // suggestion is above the cap, never a lower one that would stop the run again at once.
    expect(next({ kind: 'budget', cap: 'max_usd' }, withBudget(state(), { spent_usd: 0 }), 3)[0]).toBe('raise the cap for this run: peers up --max-usd 6');
    expect(next({ kind: 'budget', cap: 'max_usd' }, withBudget(state(), { spent_usd: 2.95 }), 3)[0]).toBe('raise the cap for this run: peers up --max-usd 6');
    expect(next({ kind: 'budget', cap: 'max_usd' }, withBudget(state(), { spent_usd: 0.1 }), 0.5)[0]).toBe('raise the cap for this run: peers up --max-usd 1');
    // A $1 cap whose first request (Claude Code reserves about $3.33) was refused: twice the cap
    // ($2) stopped the run again at once; the suggestion covers the refused request.
    const refused = (needed: number, spent: number) =>
      whatNext({ kind: 'budget', cap: 'max_usd' }, { upCommand: 'peers up', resultsBranch: 'peers/app', state: withBudget(state(), { spent_usd: spent }), settings: { ...settings(), budget: { ...settings().budget, maxUsd: 1 } }, budgetRefusals: { max_usd: { limit: 1, needed } } })[0];
    expect(refused(3.3319352, 0)).toBe('raise the cap for this run: peers up --max-usd 4');
    expect(refused(3.3319352, 0.9)).toBe('raise the cap for this run: peers up --max-usd 5');
    expect(refused(0.2, 0.9)).toBe('raise the cap for this run: peers up --max-usd 2');
    expect(next({ kind: 'budget', cap: 'max_tokens' })).toEqual([accept('raise budget.max_tokens in .peers/config.yaml'), FRESH]);
    expect(next({ kind: 'budget', cap: 'max_runtime' })).toEqual(['give it more time: peers up --max-runtime +6h', FRESH]);
    expect(next({ kind: 'budget', cap: 'max_ticks' })).toEqual([accept('raise budget.max_ticks in .peers/config.yaml'), FRESH]);
    expect(next({ kind: 'budget', cap: 'max_consecutive_failures' })).toEqual([
      "see why turns failed: peers status (each peer's last failure) and peers logs",
      'fix the cause, then peers up --reset-peer all (forgives the failure streak)',
      FRESH,
    ]);
    expect(next({ kind: 'budget', cap: 'ledger-unreadable' })).toEqual(['peers status names the damaged line of sidecars/auth/usage.jsonl in the state dir: repair it, then peers up', FRESH]);
    expect(next({ kind: 'storage', problem: 'disk-full', path: '/srv/state' })).toEqual(['free space on the disk holding /srv/state, then peers up resumes it from the last state written whole', FRESH]);
    expect(next({ kind: 'storage', problem: 'io-error', path: '/srv/state' })).toEqual(['check the disk (dmesg, df) holding /srv/state, then peers up resumes it from the last state written whole', FRESH]);
    expect(next({ kind: 'interrupted' })).toEqual(['peers up resumes it']);
  });

  test('the reason line states the figures of each stop', () => {
    const s = settings({ budget: { ...settings().budget, maxTokens: 1000 } });
    expect(whyStopped({ kind: 'budget', cap: 'max_tokens' }, withBudget(state(), { spent_tokens: 1200 }), s)).toBe('budget:max_tokens: spent 1200 tokens of the 1000 cap');
    expect(whyStopped({ kind: 'budget', cap: 'max_tokens' }, state(), settings())).toBe('budget:max_tokens: spent 0 tokens of the 0 cap');
    expect(whyStopped({ kind: 'budget', cap: 'max_usd' }, state(), settings())).toBe('budget:max_usd: spent $0.00 of the $0.00 cap (the auth sidecar refuses a request the rest cannot cover)');
    expect(whyStopped({ kind: 'budget', cap: 'ledger-unreadable' }, state(), settings())).toBe("budget:ledger-unreadable: the auth sidecar's usage ledger cannot be read, so no cap can be checked");
    expect(whyStopped({ kind: 'blocked' }, state(), settings())).toBe('blocked: the peers agreed the task cannot be done as specified');
    expect(whyStopped({ kind: 'interrupted' }, state(), settings())).toBe('interrupted');
  });

  test('a blocked reason is cut to 300 characters, saying so; a stuck gate with no output names no line; a peer without a reason shows its state alone', () => {
    const long = 'x'.repeat(350);
    const blocked: LoopState = { ...state(), blocked: { by: 'a', reason: long, sha: 's', at_tick: 1, confirmed_by: 'b', confirm_reason: 'ok' } };
    expect(whyStopped({ kind: 'blocked' }, blocked, settings())).toBe(`blocked: a says the task cannot be done as specified: "${'x'.repeat(298)} …" (confirmed by b)`);
    const st = state();
    st.gates = { head: 'h', results: { lint: { state: 'fail', diagnostic: '\n  \n', duration_ms: 1, cached: false } }, red_streak: {}, counted_for_tick: 0 };
    expect(whyStopped({ kind: 'stuck', gate: 'lint' }, st, settings())).toBe('stuck:lint: gate lint was red 0 evaluations in a row (goals.stuck_halt_after is 5)');
    st.gates.results.lint!.diagnostic = `${'y'.repeat(250)}\nsecond`;
    expect(whyStopped({ kind: 'stuck', gate: 'lint' }, st, settings())).toBe(`stuck:lint: gate lint was red 0 evaluations in a row (goals.stuck_halt_after is 5): ${'y'.repeat(96)} … ${'y'.repeat(141)}`);
    expect(whyStopped({ kind: 'stuck', gate: 'gone' }, st, settings())).toBe('stuck:gone: gate gone was red 0 evaluations in a row (goals.stuck_halt_after is 5)');
    const down = state();
    down.peers.a = { ...down.peers.a!, state: 'unavailable', reason: null };
    down.peer_order = ['a', 'b', 'ghost'];
    expect(whyStopped({ kind: 'all-peers-down' }, down, settings())).toBe('peer-unavailable:all-peers-down: no peer can take a turn (a unavailable; b healthy; ghost unknown)');
  });

  test('with no failure recorded, the failure-streak line names none', () => {
    expect(whyStopped({ kind: 'budget', cap: 'max_consecutive_failures' }, withBudget(state(), { consecutive_failures: 5 }), settings())).toBe(
      'budget:max_consecutive_failures: 5 failed turns in a row (budget.max_consecutive_failures is 5)',
    );
    const s = withBudget(state(), { consecutive_failures: 5 });
    s.peers.a = { ...s.peers.a!, last_failure: { tick: 4, cause: 'timeout' } };
    s.peers.b = { ...s.peers.b!, last_failure: { tick: 5, cause: 'crash' } };
    expect(whyStopped({ kind: 'budget', cap: 'max_consecutive_failures' }, s, settings())).toBe(
      'budget:max_consecutive_failures: 5 failed turns in a row (budget.max_consecutive_failures is 5); last failures: a: timeout (tick 4); b: crash (tick 5)',
    );
  });

  test('a resumed run names a degraded peer (fewer turns) and a down peer without a reason', () => {
    const s = state();
    s.peers.a = { ...s.peers.a!, state: 'degraded', reason: null };
    s.peers.b = { ...s.peers.b!, state: 'unavailable', reason: null };
    s.peer_order = ['a', 'b', 'c'];
    s.peers.c = { ...s.peers.a!, state: 'healthy' };
    expect(decideUp(situation({ state: s }))).toEqual({
      kind: 'resume',
      notes: ['a is degraded: it gets fewer turns until peers up --reset-peer a', 'b is unavailable: it gets no turn until peers up --reset-peer b'],
    });
  });

  test('every peer down without a recorded halt still says so instead of resuming', () => {
    const s = state();
    for (const p of ['a', 'b']) s.peers[p] = { ...s.peers[p]!, state: 'degraded' };
    expect(decideUp(situation({ state: s }))).toMatchObject({ kind: 'finished', stop: { kind: 'all-peers-down' } });
  });

  test('the refusals while running say exactly what to run; stopped pod containers are restarted in order', () => {
    const base = { fresh: false, startOnlyFlags: [], upCommand: 'peers up app' };
    expect(decideWhileRunning({ ...base, fresh: true })).toEqual({ kind: 'refuse', message: 'the run is still running; --fresh starts over only from a stopped run', hint: 'stop it first: peers down, then peers up app --fresh', exitCode: 1 });
    expect(decideWhileRunning({ ...base, startOnlyFlags: ['--no-skeptic', '--reset-peer a'] })).toEqual({
      kind: 'refuse',
      message: 'the run is already running; --no-skeptic, --reset-peer a take effect only when the loop starts',
      hint: 'peers down, then peers up app --no-skeptic --reset-peer a (it resumes from the saved tick)',
      exitCode: 2,
    });
    expect(decideWhileRunning({ ...base, startOnlyFlags: ['--no-codemap'] })).toMatchObject({ message: 'the run is already running; --no-codemap takes effect only when the loop starts' });
    expect(decideWhileRunning({ ...base, down: ['egress', 'auth'] })).toEqual({ kind: 'repair', restart: ['auth', 'egress'] });
    expect(decideWhileRunning({ ...base, down: [] })).toEqual({ kind: 'running' });
    // The same `up --rehearse` twice (two terminals at once): the second finds its rehearsal going
    // on. It used to say --rehearse "takes effect only when the loop starts" and exit 2, with a hint
    // that named --rehearse twice.
    expect(decideWhileRunning({ ...base, previousMode: 'rehearsal', mode: 'rehearsal' })).toEqual({ kind: 'running' });
    // The other kind of run is refused as such, with what the user can do while it runs.
    expect(decideWhileRunning({ ...base, previousMode: 'real', mode: 'rehearsal' })).toEqual({
      kind: 'refuse',
      message: 'the run here is a real run (the vendors); a rehearsal does not continue it, and it is running',
      hint: 'follow it: peers status; or stop it and start over: peers down, then peers up app --fresh --rehearse SCENARIO.yaml (the run is archived, nothing is deleted)',
      exitCode: 2,
    });
    expect(decideWhileRunning({ ...base, previousMode: 'rehearsal', mode: 'real' })).toMatchObject({ kind: 'refuse', hint: expect.stringContaining('peers down, then peers up app --fresh (') });
  });

  test('a rehearsal and a real run name each other in the refusal', () => {
    expect(decideUp(situation({ mode: 'real', previousMode: 'rehearsal' }))).toMatchObject({ message: 'the run here was a rehearsal (the scripted model server); a real run does not continue it' });
    expect(decideUp(situation({ mode: 'rehearsal', previousMode: 'real' }))).toMatchObject({ message: 'the run here was a real run (the vendors); a rehearsal does not continue it' });
    expect(decideUp(situation({ mode: 'real' })).kind).toBe('resume');
  });

  test('a per-run --max-ticks does not stop a run before its first tick', () => {
    expect(decideUp(situation({ settings: settings({ maxTicksThisRun: 1 }) })).kind).toBe('resume');
  });

  test('--fresh on a crashed run whose state is gone still archives what is left', () => {
    expect(decideUp(situation({ fresh: true, status: 'crashed', state: null }))).toEqual({ kind: 'start', archive: true });
    expect(decideUp(situation({ fresh: true, status: 'fresh', state: state() }))).toEqual({ kind: 'start', archive: true });
  });
});
