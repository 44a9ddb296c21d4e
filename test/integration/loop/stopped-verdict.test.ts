/**
 * `peers status` and `peers up` agree on a run that is not running (src/loop/run-verdict.ts): a
 * new user's trial saw `status` say "stopped (interrupted)" and `up` then say the run had finished
 * `stuck`. `peers down` had stopped the loop after the gate's last red evaluation and before the
 * stop rule that reads it, so the loop recorded `interrupted` beside a state that is stuck. Real
 * host loops make the state directories; status is read as `peers status` reads it and up's
 * decision is made from the situation `peers up` gathers (sandbox/up-situation.ts), short of podman.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { projectText, readProjectView } from '../../../apps/project-view.ts';
import { localProjectStatus } from '../../../sandbox/reconcile.ts';
import { situationOf } from '../../../sandbox/up-situation.ts';
import type { UpOptions } from '../../../sandbox/up-options.ts';
import { outcomeOf } from '../../../src/report/outcome.ts';
import { statusJson } from '../../../src/report/status-text.ts';
import { decideUp } from '../../../src/loop/up-decision.ts';
import { readPolicyIfPresent } from '../../../src/budget/budget-policy-file.ts';
import { statePaths, projectKey } from '../../../src/state/paths.ts';
import { loadState } from '../../../src/state/state-store.ts';
import { formatStopReason } from '../../../src/state/stop-reason.ts';
import { waitFor } from '../../wait-for.ts';
import { loop, makeProject, type Project } from './harness.ts';

const NEVER_GREEN = [{ id: 'tests-pass', type: 'hard', cmd: 'false', pass_when: 'exit_code == 0' }];
let stuck: Project;
let interrupted: Project;

beforeAll(async () => {
  // Stopped by its own end: the gate red twice in a row is `stuck:tests-pass`.
  stuck = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: NEVER_GREEN, goalsSettings: { stuck_halt_after: 2 } });
  const own = await loop(stuck, { maxTicks: 10 });
  expect(own.reason).toBe('stuck:tests-pass');
  // Interrupted by `peers down` (SIGTERM: the loop's signal) in its first turn, the gate red once.
  interrupted = makeProject({ peers: { alice: 'chatty-slow', bob: 'chatty-slow' }, goals: NEVER_GREEN, goalsSettings: { stuck_halt_after: 2 } });
  const ctl = new AbortController();
  const running = loop(interrupted, { signal: ctl.signal, maxTicks: 10 });
  await waitFor('the first turn to start', () => existsSync(`${interrupted.stateDir}/turn.json`), 30_000);
  ctl.abort();
  expect((await running).reason).toBe('interrupted');
}, 90_000);

afterAll(() => {
  stuck?.cleanup();
  interrupted?.cleanup();
});

/** What `peers status` says, and what `peers up` decides, for one project. */
async function statusAndUp(p: Project) {
  const entry = { path: p.repo, name: 'trial', registered_at: '' };
  const view = await readProjectView(entry, process.env, p.stateDir);
  const paths = statePaths(p.stateDir);
  const reconciled = await localProjectStatus(entry, process.env, p.stateDir);
  const state = loadState(paths.state)!;
  const o = { target: p.repo, progress: () => {} } as unknown as UpOptions;
  const decision = decideUp({ ...situationOf(paths, reconciled.status as 'stopped', state.config_digest, o, readPolicyIfPresent(p.stateDir), 'peers up', projectKey(p.repo), p.repo), continueCommand: 'peers up' });
  const outcome = outcomeOf({ summary: view.summary!, status: statusJson(view.summary!), gates: [] });
  return { text: projectText(view).join('\n'), project: view.project, decision, outcome };
}

test('stopped by its own end as stuck: status and report say stuck, up says finished stuck', async () => {
  const r = await statusAndUp(stuck);
  expect(r.decision.kind).toBe('finished');
  expect(r.decision.kind === 'finished' && formatStopReason(r.decision.stop)).toBe('stuck:tests-pass');
  expect(r.text).toContain('Status: stopped (stuck:tests-pass)');
  expect(r.project.finishedBy).toBe('stuck:tests-pass');
  expect(r.outcome.reason).toBe('stuck:tests-pass');
}, 30_000);

test('interrupted after the last red evaluation (the trial): status says stuck, as up does, and names the recorded interruption', async () => {
  // What `peers down` leaves when it lands between the gate's last red evaluation and the stop rule.
  writeFileSync(statePaths(stuck.stateDir).stopReason, `interrupted ${new Date().toISOString()}\n`);
  const r = await statusAndUp(stuck);
  expect(r.decision.kind === 'finished' && formatStopReason(r.decision.stop)).toBe('stuck:tests-pass');
  expect(r.text).toContain('Status: stopped (stuck:tests-pass; its loop last exited as interrupted)');
  expect(r.text).not.toContain('Status: stopped (interrupted)');
  expect(r.text).toContain('Over: stuck:tests-pass');
  // The report does not promise that `peers up` resumes it.
  expect(r.outcome.reason).toBe('stuck:tests-pass');
  expect(r.outcome.why.join('\n')).toContain('would not resume it');
  expect(r.outcome.why.join('\n')).not.toContain('resumes it');
}, 30_000);

test('interrupted by peers down mid-run: status says interrupted, up resumes it', async () => {
  const r = await statusAndUp(interrupted);
  expect(r.decision.kind).toBe('resume');
  expect(r.text).toContain('Status: stopped (interrupted)');
  expect(r.project.finishedBy).toBeNull();
  expect(r.outcome.reason).toBe('interrupted');
  expect(r.outcome.why.join('\n')).toContain('resumes it');
}, 30_000);
