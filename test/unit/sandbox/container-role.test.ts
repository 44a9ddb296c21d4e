/**
 * `peers status --json` listed a container with `"role": ""`: the pod's infra container, which
 * carries the pod's project label but no `peers.role` (sandbox/podman-render.ts labels the
 * members). It is named for what it is, and never counted as a member that is down.
 */
import { expect, test } from 'bun:test';
import { containerStateOf } from '../../../sandbox/podman.ts';
import { deadContainers } from '../../../sandbox/reconcile.ts';

const row = (labels: Record<string, string>, state: string, isInfra = false) => ({ Names: ['n'], Labels: { 'peers.project': 'k', ...labels }, State: state, ExitCode: 0, IsInfra: isInfra });

test("the pod's infra container is 'infra', a member keeps its role, nothing is ''", () => {
  expect(containerStateOf(row({}, 'running', true)).role).toBe('infra');
  expect(containerStateOf(row({ 'peers.role': 'egress' }, 'running')).role).toBe('egress');
  expect(containerStateOf(row({}, 'exited')).role).toBe('unlabelled');
});

test('a stopped infra or unlabelled container beside a running loop is no member down', () => {
  const cs = [row({ 'peers.role': 'loop' }, 'running'), row({}, 'exited', true), row({}, 'exited'), row({ 'peers.role': 'auth' }, 'exited')].map(containerStateOf);
  expect(deadContainers(cs, [])).toEqual(['auth']);
});
