/**
 * `peers status` in the seconds after `peers up`: the pod runs, the loop has not saved its first
 * state. It said "Status: running" and then "No run yet: start one with `peers up`", a
 * contradiction that sends the user to start a second run.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectText } from '../../../apps/project-view.ts';
import type { ProjectStatus } from '../../../sandbox/reconcile.ts';

const project = (status: ProjectStatus['status']): ProjectStatus => ({
  name: 'cproj', path: '/src/cproj', status, tick: null, stopReason: null, finishedBy: null, spend: { usd: 0, tokens: 0 } as ProjectStatus['spend'],
  openGates: [], unmeasured: [], goalsError: null, stateDir: '/state/cproj', containers: [], degraded: [],
});

test('a running pod whose loop has saved no state yet is starting, not "no run yet"', () => {
  const text = projectText({ project: project('running') });
  expect(text).toContain('Status: running');
  expect(text).toContain('The run is starting: its loop has not saved a first state yet (follow it: `peers logs cproj -f`)');
  expect(text.join('\n')).not.toContain('No run yet');
});

test('a running run held by a sidecar that stopped on its own says why it stopped, under its status line', () => {
  // Said before only by `peers up` as it restarted it: a sidecar that exits at start stops again.
  const why = "exit 2; its last line: peers sidecar auth: ANTHROPIC_API_KEY is not set (a vendor's key)";
  const text = projectText({ project: { ...project('running'), degraded: ['auth'], downBecause: [{ role: 'auth', why }] } });
  expect(text.slice(1, 3)).toEqual(['Status: running (degraded: auth down: the run holds until `peers up` restarts it)', `  auth stopped: ${why}`]);
});

const root = mkdtempSync(join(tmpdir(), 'peers-project-view-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a project that never ran still says how to start one', () => {
  const path = join(root, 'cproj');
  mkdirSync(join(path, '.peers'), { recursive: true });
  expect(projectText({ project: { ...project('fresh'), path } }).at(-1)).toBe(`No run yet: start one with \`peers up ${path}\``);
});

test('a repository without .peers/ is not set up: init first, and no "all green" for goals it does not have', () => {
  const text = projectText({ project: project('fresh') });
  expect(text.at(-1)).toBe('Not set up for peers: run `peers init /src/cproj` first (it proposes the gates), then `peers up`');
  expect(text).toContain('Open gates: none: no goals yet');
});

test('a resumed run that is running shows its earlier stop as earlier, never as its state now', () => {
  for (const reason of ['interrupted', 'budget:max_usd']) {
    const text = projectText({ project: { ...project('running'), stopReason: reason } });
    expect(text).toContain(`Status: running (last stopped: ${reason}, before this start)`);
    expect(text).not.toContain(`Status: running (${reason})`);
  }
  // A stopped run still says why it stopped.
  expect(projectText({ project: { ...project('stopped'), stopReason: 'interrupted' } })).toContain('Status: stopped (interrupted)');
});

test('gates no measurement has recorded yet are open as not measured, apart from the red ones', () => {
  // A new user read "Open gates: tests, lint" during the run's first measurement as every gate failing.
  const first = projectText({ project: { ...project('running'), openGates: ['tests', 'lint'], unmeasured: ['tests', 'lint'] } });
  expect(first).toContain('Open gates: not measured yet: tests, lint (the loop measures them before its next turn)');
  const mixed = projectText({ project: { ...project('stopped'), openGates: ['tests', 'lint'], unmeasured: ['lint'] } });
  expect(mixed).toContain('Open gates: tests; not measured yet: lint (`peers verify /src/cproj` measures them now)');
  expect(projectText({ project: { ...project('stopped'), openGates: ['tests'], unmeasured: [] } })).toContain('Open gates: tests');
});
