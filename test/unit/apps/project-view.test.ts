/**
 * `peers status` in the seconds after `peers up`: the pod runs, the loop has not saved its first
 * state. It said "Status: running" and then "No run yet: start one with `peers up`", a
 * contradiction that sends the user to start a second run.
 */
import { expect, test } from 'bun:test';
import { projectText } from '../../../apps/project-view.ts';
import type { ProjectStatus } from '../../../sandbox/reconcile.ts';

const project = (status: ProjectStatus['status']): ProjectStatus => ({
  name: 'cproj', path: '/src/cproj', status, tick: null, stopReason: null, spend: { usd: 0, tokens: 0 } as ProjectStatus['spend'],
  openGates: [], stateDir: '/state/cproj', containers: [], degraded: [],
});

test('a running pod whose loop has saved no state yet is starting, not "no run yet"', () => {
  const text = projectText({ project: project('running') });
  expect(text).toContain('Status: running');
  expect(text).toContain('The run is starting: its loop has not saved a first state yet (follow it: `peers logs cproj -f`)');
  expect(text.join('\n')).not.toContain('No run yet');
});

test('a project that never ran still says how to start one', () => {
  expect(projectText({ project: project('fresh') }).at(-1)).toBe('No run yet: start one with `peers up /src/cproj`');
});
