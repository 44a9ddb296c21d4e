/**
 * The order `peers up` starts the pod in (sandbox/pod-create.ts): every container once, the loop
 * alone and last (it uses all the others), each podman call in the plan's order (egress before the
 * runners beside the pod, the sidecars before the workspace runner), and in a rehearsal nothing
 * after the model server until it listens.
 */
import { expect, test } from 'bun:test';
import { buildPodSpec, type PodInputs } from '../../../sandbox/pod-spec.ts';
import { renderPodman } from '../../../sandbox/podman-render.ts';
import { startGroups } from '../../../sandbox/pod-create.ts';
import { podInputs } from './pod-inputs-fixture.ts';

const inputs = podInputs({ allow: [], secretEnv: ['ANTHROPIC_API_KEY'], loopArgs: [] });
const render = (i: PodInputs) => renderPodman(buildPodSpec(i), { sharedRoot: '/r', cgroupLimits: true, user: '1:1', seccompProfile: '/r/s.json' });

test('the containers beside the pod and the pod members start in two concurrent calls, then the loop alone', () => {
  const plan = render(inputs);
  const groups = startGroups(plan);
  expect(groups).toEqual([
    [
      ['egress', 'setup', 'gates'],
      ['bridge', 'auth', 'workspace'],
    ],
    [['loop']],
  ]);
  // Every container of the plan is started exactly once, and each call only holds one side of the pod.
  expect(groups.flat(2).sort()).toEqual(plan.createContainers.map((c) => c.role).sort());
  const inPod = new Map(plan.createContainers.map((c) => [c.role, c.inPod]));
  for (const call of groups.flat()) expect(new Set(call.map((r) => inPod.get(r))).size).toBe(1);
});

test('a rehearsal starts everything up to the model server, then the rest once it listens', () => {
  const plan = render({ ...inputs, upstream: 'model-server', modelServerDir: '/home/u/.local/state/peers/demo-1a2b3c4d/rehearsal' });
  const groups = startGroups(plan);
  expect(groups.length).toBe(2);
  expect(groups[0]!.length).toBe(1);
  expect(groups[0]![0]!.at(-1)).toBe('model-server');
  expect(groups[1]![0]!.at(-1)).toBe('loop');
  expect(groups.flat(2)).toEqual(plan.createContainers.map((c) => c.role));
});
