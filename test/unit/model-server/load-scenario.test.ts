import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../../../src/cli/errors.ts';
import { loadScenarioFile, parseScenario } from '../../../src/model-server/load-scenario.ts';

const REHEARSAL = resolve(import.meta.dir, '../../fixtures/scenarios/rehearsal.yaml');
const dir = mkdtempSync(join(tmpdir(), 'peers-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problem(text: string): InputError {
  try {
    parseScenario(text, 'scen.yaml');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

test('the documented rehearsal scenario loads, with defaults filled in', () => {
  const scenario = loadScenarioFile(REHEARSAL);
  expect(Object.keys(scenario.peers)).toEqual(['claude', 'codex']);
  expect(scenario.peers.claude!.ticks).toHaveLength(2);
  expect(scenario.peers.codex!.api).toBe('responses');
  const fault = scenario.peers.claude!.ticks[1]!.replies[0]!;
  expect(fault).toEqual({ fault: { kind: 'rate_limit', retry_after_s: 1, times: 1 } });
  expect(scenario.auxiliary_text).toBe('OK');
});

test('an unknown fault kind is reported at its line and column, exit code 2', () => {
  const e = problem(['version: 1', 'peers:', '  claude:', '    api: anthropic', '    ticks:', '      - replies:', '          - fault: { kind: explode }'].join('\n'));
  expect(e.exitCode).toBe(2);
  expect(e.location).toEqual({ file: 'scen.yaml', line: 7, column: 28 });
  expect(e.message).toContain('peers.claude.ticks[0].replies[0].fault.kind');
});

test('apply_patch for a claude peer is refused where it is written', () => {
  const e = problem(['version: 1', 'peers:', '  c:', '    api: anthropic', '    ticks:', '      - replies:', '          - tool_calls:', '              - apply_patch: x'].join('\n'));
  expect(e.location?.line).toBe(8);
  expect(e.message).toContain('apply_patch exists only for api: responses');
});

test('a misspelt reply key is reported on its reply', () => {
  const e = problem(['version: 1', 'peers:', '  c:', '    api: anthropic', '    ticks:', '      - replies:', '          - txt: hello'].join('\n'));
  expect(e.location?.line).toBe(7);
  expect(e.message).toBe('peers.c.ticks[0].replies[0]: a reply needs tool_calls (and optional text), text, or fault; unknown key(s): txt');
});

test('a tool call missing a field names the field and points at the call', () => {
  const e = problem(['version: 1', 'peers:', '  c:', '    api: anthropic', '    ticks:', '      - replies:', '          - tool_calls: [ { write: { path: a } } ]'].join('\n'));
  expect(e.format()).toBe("scen.yaml:7:36: peers.c.ticks[0].replies[0].tool_calls[0].write: missing required key 'content'");
});

test('YAML syntax errors and missing files are input errors with a location', () => {
  expect(problem('version: 1\npeers: [\n').location?.file).toBe('scen.yaml');
  const missing = join(dir, 'nope.yaml');
  expect(() => loadScenarioFile(missing)).toThrow(InputError);
  try {
    loadScenarioFile(missing);
  } catch (error) {
    // The binary ships no example file: the hint names what gives the user one.
    expect((error as InputError).hint).toContain('`peers demo --keep` leaves a complete one to copy');
  }
  const file = join(dir, 'empty-peers.yaml');
  writeFileSync(file, 'version: 1\npeers: {}\n');
  expect(() => loadScenarioFile(file)).toThrow('a scenario needs at least one peer');
});
