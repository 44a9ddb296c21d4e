/**
 * How `peers up` starts the pod (sandbox/pod-create.ts): every container by one `podman run`, all
 * at once, the members once the pod exists (the loop waits for the others itself:
 * sandbox/lifeline.ts), and in a rehearsal nothing after the model server until it listens.
 */
import { expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPodSpec, type PodInputs } from '../../../sandbox/pod-spec.ts';
import { dirname } from 'node:path';
import { renderPodman } from '../../../sandbox/podman-render.ts';
import { BEFORE_CLONE, createAndStartPod, prepareGround, startGroups } from '../../../sandbox/pod-create.ts';
import { podInputs } from './pod-inputs-fixture.ts';

const inputs = podInputs({ allow: [], secretEnv: ['ANTHROPIC_API_KEY'], loopArgs: [] });
const render = (i: PodInputs) => renderPodman(buildPodSpec(i), { sharedRoot: '/r', cgroupLimits: true, user: '1:1', seccompProfile: '/r/s.json' });

test('every container is created and started by one podman run, members once the pod and its infra run, the others at once', async () => {
  const plan = render(inputs);
  const dir = mkdtempSync(join(tmpdir(), 'peers-pod-create-'));
  try {
    // A recording podman: one line per call.
    const shim = join(dir, 'podman');
    const calls = join(dir, 'calls');
    writeFileSync(shim, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${calls}\n`, { mode: 0o755 });
    const env = { ...process.env, PEERS_PODMAN: shim };
    const progress: string[] = [];
    await createAndStartPod(plan, prepareGround(plan, env), 'p', env, (l) => progress.push(l));
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    for (const c of plan.createContainers) {
      const runs = lines.filter((l) => l === ['run', '--detach', ...c.argv.slice(1)].join(' '));
      expect(runs.length).toBe(1);
      // A member after the pod it joins; the others need nothing first (podman makes their volume).
      // A member only once the pod's infra runs: concurrent members would each start it, and race.
      if (c.inPod) expect(lines.indexOf(runs[0]!)).toBeGreaterThan(at('pod start'));
    }
    expect(at('pod start')).toBeGreaterThan(at('pod create'));
    expect(lines.filter((l) => l.startsWith('start ') || l.startsWith('create ')).length).toBe(0);
    expect(lines.length).toBe(plan.createContainers.length + 2);
    expect(progress).toEqual(['starting egress, setup, gates, loop, bridge, auth, workspace']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what up starts before it makes the run clone mounts nothing of the run dir (a new clone replaces it)', () => {
  const spec = buildPodSpec(inputs);
  const runDir = dirname(inputs.cloneDir);
  expect(BEFORE_CLONE.length).toBeGreaterThan(0);
  for (const role of BEFORE_CLONE) {
    const c = spec.containers.find((x) => x.role === role)!;
    expect(c.placement).toBe('own'); // it needs no pod either
    for (const m of c.mounts) if (m.kind === 'bind') expect(m.source.startsWith(`${runDir}/`)).toBe(false);
    expect(c.mounts.some((m) => m.kind === 'shared-dir' && m.name === 'checkouts')).toBe(false);
  }
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
