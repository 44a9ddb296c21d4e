import { describe, expect, test } from 'bun:test';
import { parse } from 'yaml';
import { configTemplate, goalsTemplate } from '../../../src/mode-registry/init-project.ts';
import { jsonSchemaFor } from '../../../src/config/json-schema.ts';
import { validateJsonSchema } from './json-schema-validator.ts';

describe('published JSON Schemas', () => {
  const config = jsonSchemaFor('config');
  const goals = jsonSchemaFor('goals');

  test('the templates are valid against the generated schemas', () => {
    expect(validateJsonSchema(config, parse(configTemplate))).toEqual([]);
    expect(validateJsonSchema(goals, parse(goalsTemplate))).toEqual([]);
  });

  test('an unknown key is rejected, as the loader would', () => {
    const c = parse(configTemplate);
    c.health.idle_timout_s = 5;
    expect(validateJsonSchema(config, c)).toContainEqual('/health: unexpected key idle_timout_s');
    const g = parse(goalsTemplate);
    g.goals[0].retry_on_fial = 1;
    expect(validateJsonSchema(goals, g).some((e) => e.includes('retry_on_fial'))).toBe(true);
  });

  test('wrong types, bad enums and out-of-range values are rejected', () => {
    const c = parse(configTemplate);
    c.peers[0].tool = 'gemini';
    c.budget.max_ticks = 0;
    const errors = validateJsonSchema(config, c);
    expect(errors.some((e) => e.startsWith('/peers/0/tool'))).toBe(true);
    expect(errors.some((e) => e.startsWith('/budget/max_ticks'))).toBe(true);
  });

  test('descriptions from the zod schema reach the editor', () => {
    const props = (config.properties as Record<string, { description?: string; properties?: Record<string, { description?: string }> }>);
    expect(props.budget!.properties!.max_usd_mode!.description).toContain('auto: hard when any peer bills through an API key');
    expect(JSON.stringify(goals)).toContain('Re-runs of a failing command');
  });
});
