/**
 * `peers up --rehearse SCENARIO.yaml`: the project's own configuration in the pod, with the
 * scripted model server (a pod member, pod-spec.ts) as the only upstream of the auth sidecar, as
 * `peers demo` runs. The scenario is checked on the host (file, line, column) and copied into the
 * state dir, where the model server reads it and logs what it served (`rehearsal/served.jsonl`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import type { PeersConfig } from '../src/config/config-schema.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { parseScenario, readScenarioText } from '../src/model-server/load-scenario.ts';
import { rehearsalMisfits } from '../src/model-server/rehearsal-fit.ts';
import { containerName } from './pod-layout.ts';
import { podman } from './podman.ts';

export const rehearsalDir = (stateDir: string) => join(stateDir, 'rehearsal');

/** Validates the scenario against the project's peers; returns its text (nothing is written). */
export function checkRehearsal(scenarioPath: string, config: PeersConfig): string {
  const text = readScenarioText(scenarioPath);
  const scenario = parseScenario(text, scenarioPath);
  const misfits = rehearsalMisfits(config, scenario);
  if (misfits.length) throw new InputError(`this scenario cannot rehearse the project's peers: ${misfits.join('; ')}`, { location: { file: scenarioPath }, hint: 'the scenario `peers demo --keep` leaves (model-server/scenario.yaml beside the demo project) has one peer on each API' });
  return text;
}

/** Puts the checked scenario where the model server container reads it; returns that dir. */
export function writeRehearsal(stateDir: string, text: string): string {
  const dir = rehearsalDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(dir, 'scenario.yaml'), text, 0o600);
  return dir;
}

/** Waits until the model server container says it listens (the CLIs would retry, but why make them). */
export async function waitForModelServer(project: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<void> {
  const name = containerName(project, 'model-server');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await podman(['logs', name], { env });
    if (logs.stdout.includes('listening on')) return;
    const state = await podman(['inspect', '--format', '{{.State.Running}}', name], { env });
    if (state.stdout.trim() !== 'true' || Date.now() > deadline) {
      throw new PeersError(`the model server container did not start: ${`${logs.stdout}${logs.stderr}`.trim().slice(-600)}`, { hint: `podman logs ${name}` });
    }
    await Bun.sleep(200);
  }
}
