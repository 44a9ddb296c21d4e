/**
 * The demo's scenario, embedded in the binary (Bun inlines text imports at build time), so
 * `peers demo` works from the single executable with no file beside it.
 */
import scenarioText from './demo-scenario.yaml' with { type: 'text' };
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { parseScenario } from '../../src/model-server/load-scenario.ts';
import type { Scenario } from '../../src/model-server/scenario-schema.ts';

export const DEMO_SCENARIO_TEXT: string = scenarioText;
export const DEMO_SCENARIO_FILE = 'demo-scenario.yaml';

/** Validated by the scenario schema (src/model-server/scenario-schema.ts); an error names demo-scenario.yaml and the line. */
export function demoScenario(): Scenario {
  return parseScenario(DEMO_SCENARIO_TEXT, DEMO_SCENARIO_FILE);
}

/**
 * Where a demo leaves its scenario: `model-server/scenario.yaml` beside the sample project. The
 * pod's model server reads it there; a kept demo points the user at it, the one complete scenario
 * a user of the binary alone has to start a `peers up --rehearse` of their own from.
 */
export function demoScenarioPath(project: string): string {
  return join(dirname(project), 'model-server', 'scenario.yaml');
}

export function writeDemoScenario(project: string): string {
  const path = demoScenarioPath(project);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, DEMO_SCENARIO_TEXT, 0o644);
  return path;
}
