/**
 * Every user- or peer-writable YAML file (config, goals, scenario) is parsed in time
 * linear in its size, within a size and a nesting-depth limit, and each problem names the file,
 * the line and the limit. Before: a 50,000-key mapping took 21 s, a million-deep nesting 10 s and
 * 915 MB. Only the generous test timeouts are clocks here.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, InputErrors } from '../../../src/cli/errors.ts';
import { loadConfigFile, loadGoalsFile } from '../../../src/config/load.ts';
import { MAX_YAML_DEPTH, parseYaml } from '../../../src/config/yaml-source.ts';
import { loadScenarioFile } from '../../../src/model-server/load-scenario.ts';

const root = mkdtempSync(join(tmpdir(), 'peers-yaml-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(root, `f${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

function failure(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

const PEERS = 'peers:\n  - name: a\n    tool: claude\n    argv: [claude, -p]\n  - name: b\n    tool: codex\n    argv: [codex, exec, "-"]\n';

describe('nesting depth is limited while parsing', () => {
  test.each([
    ['flow sequences', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`, 1, MAX_YAML_DEPTH + 1],
    ['compact block sequences', `${'- '.repeat(1_000_000)}x\n`, 1, 2 * MAX_YAML_DEPTH + 3],
  ])('a million-deep nesting of %s is refused at the limit with file:line:column', (_, text, line, column) => {
    const path = file(text);
    const error = failure(() => loadConfigFile(path));
    expect(error.exitCode).toBe(2);
    expect(error.format()).toContain(`${path}:${line}:`);
    expect(error.message).toBe(`YAML nested deeper than ${MAX_YAML_DEPTH} levels (the limit)`);
    expect(error.location!.column).toBeGreaterThanOrEqual(column - 3);
    expect(error.location!.column).toBeLessThanOrEqual(column);
  }, 30_000);

  test('indented block mappings count too, and the error points at the line that goes too deep', () => {
    const text = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' v\n';
    const error = failure(() => loadGoalsFile(file(text)));
    expect(error.message).toContain(`deeper than ${MAX_YAML_DEPTH} levels`);
    expect(error.location!.line).toBeGreaterThan(MAX_YAML_DEPTH - 2);
    expect(error.location!.line).toBeLessThan(MAX_YAML_DEPTH + 4);
  });

  test('exactly the limit parses; one level more does not', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
    let v = parseYaml(nested(MAX_YAML_DEPTH), 'f', { maxBytes: 1 << 20 }, {}).data;
    let levels = 0;
    while (Array.isArray(v)) [v, levels] = [v[0], levels + 1];
    expect([v, levels]).toEqual([1, MAX_YAML_DEPTH]);
    const error = failure(() => parseYaml(nested(MAX_YAML_DEPTH + 1), 'f', { maxBytes: 1 << 20 }, {}));
    expect(error.location).toEqual({ file: 'f', line: 1, column: MAX_YAML_DEPTH + 1 });
  });

  test('a scenario file has the same limits (it is YAML a user writes)', () => {
    const path = file(`peers:\n  a:\n    ticks: ${'['.repeat(100_000)}\n`);
    const error = failure(() => loadScenarioFile(path));
    expect(error.message).toContain(`deeper than ${MAX_YAML_DEPTH} levels`);
    expect(error.location).toMatchObject({ file: path, line: 3 });
  });
});

describe('parsing time is linear in the size', () => {
  test('a 50,000-key mapping: at most 20 problems, the first ones in file order, with did-you-mean', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `  k${i}: ${i}`).join('\n');
    const path = file(`${PEERS}health:\n  idle_timout_s: 5\n${keys}\n`);
    const error = failure(() => loadConfigFile(path));
    const problems = (error as InputErrors).problems;
    expect(problems).toHaveLength(20);
    expect(problems[0]!.format()).toBe(`${path}:9:3: unknown key 'idle_timout_s' in health; did you mean idle_timeout_s?`);
    expect(problems[1]!.format()).toStartWith(`${path}:10:3: unknown key 'k0' in health`);
  }, 30_000);

  test('a duplicate key among 50,000 is found, at its own line', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`);
    keys.push('k49999: again');
    const error = failure(() => loadConfigFile(file(`${keys.join('\n')}\n`)));
    expect(error.message).toBe("YAML syntax error: Map keys must be unique (duplicate key 'k49999')");
    expect(error.location).toMatchObject({ line: 50_001, column: 1 });
  }, 30_000);

  test('10,000 goals each with two problems: 20 reported, in line order', () => {
    const goals = Array.from({ length: 10_000 }, (_, i) => `  - id: g${i}\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n    retry: x\n`).join('');
    const error = failure(() => loadGoalsFile(file(`goals:\n${goals}`)));
    const problems = (error as InputErrors).problems;
    expect(problems).toHaveLength(20);
    const lines = problems.map((p) => p.location!.line!);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(problems[0]!.location!.line).toBe(6);
  }, 30_000);
});

test('more than one YAML document in a control file is an error, not silently the first', () => {
  const error = failure(() => loadConfigFile(file(`${PEERS}---\npeers: []\n`)));
  expect(error.message).toContain('multiple documents');
  expect(error.location!.line).toBe(8);
});
