/** The inputs of a pod spec for a project `demo` of a user `u`, as `peers up` gathers them, for the pod spec and render tests. */
import type { PodInputs } from '../../../sandbox/pod-spec.ts';

export function podInputs(overrides: Partial<PodInputs> = {}): PodInputs {
  return {
    project: 'demo-1a2b3c4d',
    repoDir: '/home/u/src/demo',
    stateDir: '/home/u/.local/state/peers/demo-1a2b3c4d',
    cloneDir: '/home/u/.local/state/peers/demo-1a2b3c4d/run/clone',
    mirrorDir: '/home/u/.local/state/peers/demo-1a2b3c4d/run/mirror.git',
    snapshotDir: '/home/u/.local/state/peers/demo-1a2b3c4d/snapshot',
    binaryPath: '/home/u/bin/peers',
    image: 'localhost/peers-workspace:latest',
    allow: ['registry.npmjs.org', '*.pypi.org'],
    secretEnv: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    secretFiles: [],
    loopArgs: ['--max-ticks', '5'],
    ...overrides,
  };
}
