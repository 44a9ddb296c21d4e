/**
 * The demo's scenario, embedded in the binary (Bun inlines text imports at build time), so
 * `peers demo` works from the single executable with no file beside it.
 */
import scenarioText from './demo-scenario.yaml' with { type: 'text' };
import { parseScenario } from '../../src/model-server/load-scenario.ts';
import type { Scenario } from '../../src/model-server/scenario-schema.ts';

export const DEMO_SCENARIO_TEXT: string = scenarioText;
export const DEMO_SCENARIO_FILE = 'demo-scenario.yaml';

/** Validated by the scenario schema (src/model-server/scenario-schema.ts); an error names demo-scenario.yaml and the line. */
export function demoScenario(): Scenario {
  return parseScenario(DEMO_SCENARIO_TEXT, DEMO_SCENARIO_FILE);
}
