/**
 * One JSON style. Every command with --json is run on a real project with a stopped run,
 * and its document is checked against its zod schema (src/cli/json-output/output-schemas.ts):
 * schema_version first, every key snake_case (maps keyed by data excepted), money rounded.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { z } from 'zod';
import { jsonOutput, roundMoney } from '../../../src/cli/json-output/json-output.ts';
import { OUTPUT_SCHEMAS, SCHEMA_VERSION } from '../../../src/cli/json-output/output-schemas.ts';
import { loop, makeProject, type Project } from '../loop/harness.ts';
import { makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
let p: Project;
beforeAll(async () => {
  p = makeProject({ peers: { alice: 'always-handoff', bob: 'always-handoff' }, goals: [{ id: 'green-gate', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }] });
  await loop(p, { maxTicks: 2 });
}, 60_000);
afterAll(() => {
  sb.cleanup();
  p?.cleanup();
});

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Keys of `data` that are not snake_case, walking the schema beside it so record keys (data) are skipped. */
function badKeys(schema: z.ZodType, data: unknown, path = ''): string[] {
  const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[] } }).def;
  if (['optional', 'nullable', 'default', 'readonly'].includes(def.type)) return data === null || data === undefined ? [] : badKeys(def.innerType!, data, path);
  if (Array.isArray(data)) return data.flatMap((d, i) => badKeys(def.type === 'array' ? def.element! : z.unknown(), d, `${path}[${i}]`));
  if (!data || typeof data !== 'object') return [];
  if (def.type === 'record') return Object.entries(data).flatMap(([k, v]) => badKeys(def.valueType!, v, `${path}.${k}`));
  const shape = def.type === 'object' ? (schema as z.ZodObject).shape : {};
  return Object.entries(data).flatMap(([k, v]) => [...(SNAKE.test(k) ? [] : [`${path}.${k}`]), ...badKeys(shape[k] ?? z.unknown(), v, `${path}.${k}`)]);
}

const RUNS: [string, string[]][] = [
  ['status', ['status']],
  ['ls', ['ls']],
  ['info', ['info']],
  ['bugs', ['bugs']],
  ['report', ['report']],
  ['replay', ['replay', '1']],
  ['modes:list', ['modes', 'list']],
  ['doctor', ['doctor']],
  ['verify', ['verify']],
  ['check', ['check', 'no-secrets']],
  ['commands', ['commands', '--hidden']],
  ['pause', ['pause', 'alice']],
  ['resume', ['resume', 'alice']],
  ['review', ['review']],
  ['prune', ['prune', '--dry-run', '--older-than', '0s']],
  ['reset', ['reset']],
];

describe('every --json output has one style', () => {
  for (const [id, argv] of RUNS) {
    test(`peers ${argv.join(' ')} --json: schema_version, its schema, snake_case keys`, () => {
      const r = runPeers([...argv, '--json'], { cwd: p.repo, env: { ...sb.env, PEERS_STATE_DIR: p.stateDir } });
      expect(r.stderr).not.toContain('internal error');
      const doc = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(Object.keys(doc)[0]).toBe('schema_version');
      expect(doc.schema_version).toBe(SCHEMA_VERSION);
      const { schema_version: _, ...body } = doc;
      const schema = OUTPUT_SCHEMAS[id as keyof typeof OUTPUT_SCHEMAS] as z.ZodType;
      const parsed = schema.safeParse(body);
      expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
      expect(badKeys(schema, body)).toEqual([]);
    });
  }

  test('every command that takes --json has an output schema, and every schema a command', () => {
    const r = runPeers(['commands', '--json', '--hidden'], { cwd: p.repo, env: sb.env });
    const cmds = (JSON.parse(r.stdout) as { commands: { id: string; flags: { name: string }[] }[] }).commands;
    const withJson = cmds.filter((c) => c.flags.some((f) => f.name === 'json')).map((c) => c.id).sort();
    expect(withJson).toEqual(Object.keys(OUTPUT_SCHEMAS).sort());
    // Each command id that the test above does not run is at least refused the same way (no internal error).
    expect(RUNS.map(([id]) => id).every((id) => withJson.includes(id))).toBe(true);
  });

  test('an error under --json is { schema_version, error: { message, exit_code, location, hint } }', () => {
    const missing = `${sb.root}/no-such-dir`;
    const r = runPeers(['bugs', missing, '--json'], { cwd: p.repo, env: sb.env });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['schema_version', 'error']);
    expect(doc.error).toMatchObject({ message: `${missing} does not exist`, exit_code: 2, location: { file: missing } });
  });

  test('money is rounded to 6 decimals wherever a usd key leads to it, and only there', () => {
    const raw = { spend: { usd: 0.11141999999999999, tokens: 0.1 + 0.2 }, budget: { usd: { spent: 1 / 3, cap: null } }, usd_this_tick: 2 / 3, ticks: 1 / 3 };
    expect(roundMoney(raw)).toEqual({ spend: { usd: 0.11142, tokens: 0.1 + 0.2 }, budget: { usd: { spent: 0.333333, cap: null } }, usd_this_tick: 0.666667, ticks: 1 / 3 });
    const row = { name: 'a', path: '/a', status: 'stopped', tick: 3, stop_reason: null, finished_by: null, spend: { usd: 0.11141999999999999, tokens: 5, rehearsal: false }, open_gates: [], unmeasured_gates: [], goals_error: null, degraded: [], down_because: [], state_dir: '/s', containers: [], missing: false };
    expect(JSON.stringify(jsonOutput('ls', { projects: [row] }))).toContain('"usd":0.11142,');
  });

  test('peers schema status prints the JSON Schema of status --json, strict, with schema_version', () => {
    const r = runPeers(['schema', 'status'], { cwd: p.repo, env: sb.env });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.properties.schema_version.const).toBe(SCHEMA_VERSION);
    expect(s.additionalProperties).toBe(false);
    expect(Object.keys(s.properties)).toContain('open_gates');
    expect(runPeers(['schema', 'stauts'], { cwd: p.repo, env: sb.env }).stderr).toContain("no schema named 'stauts'. Did you mean 'status'?");
  });
});
