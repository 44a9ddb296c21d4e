/**
 * `peers up --rehearse`: a scenario that cannot stand in for the project's own peers is bad input
 * (exit 2, naming the scenario file) before anything starts, instead of a run whose turns all fail.
 */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { rehearsalMisfits } from '../../../src/model-server/rehearsal-fit.ts';
import type { Scenario } from '../../../src/model-server/scenario-schema.ts';
import { checkRehearsal } from '../../../sandbox/rehearsal.ts';
import { demoScenario } from '../../../apps/demo/demo-scenario.ts';

const config = (tools: Array<[string, string]>) => ConfigSchema.parse({ peers: tools.map(([name, tool]) => ({ name, tool, argv: [tool] })) });
const scenario = (peers: Record<string, 'anthropic' | 'responses'>) => ({ version: 1, peers: Object.fromEntries(Object.entries(peers).map(([n, api]) => [n, { api, ticks: [] }])) }) as unknown as Scenario;

describe('does a scenario fit the project\'s peers', () => {
  test('claude and codex: one scenario peer per API fits, whatever the names', () => {
    expect(rehearsalMisfits(config([['claude', 'claude'], ['codex', 'codex']]), scenario({ claude: 'anthropic', codex: 'responses' }))).toEqual([]);
    expect(rehearsalMisfits(config([['alice', 'claude'], ['bob', 'codex']]), scenario({ x: 'anthropic', y: 'responses' }))).toEqual([]);
    // A custom peer talks to no model: nothing to script for it.
    expect(rehearsalMisfits(config([['claude', 'claude'], ['sh', 'custom']]), scenario({ claude: 'anthropic' }))).toEqual([]);
  });

  test('a peer whose API has no scenario peer, two scenario peers on one API, two project peers on one API', () => {
    expect(rehearsalMisfits(config([['claude', 'claude'], ['codex', 'codex']]), scenario({ claude: 'anthropic' }))).toEqual(['codex uses the responses API, but no scenario peer does: add one with `api: responses`']);
    expect(rehearsalMisfits(config([['claude', 'claude'], ['codex', 'codex']]), scenario({ a: 'anthropic', b: 'anthropic', codex: 'responses' }))).toEqual([
      'the scenario has 2 peers on the anthropic API (a, b); claude would not know which is its: keep one',
    ]);
    expect(rehearsalMisfits(config([['claude', 'claude'], ['oc', 'opencode']]), scenario({ claude: 'anthropic' }))[0]).toContain('claude and oc both use the anthropic API: a rehearsal in the pod tells peers apart by API, so rehearse with one of them: comment out oc in .peers/config.yaml while you rehearse');
  });

  test('an opencode peer speaks the API of its model\'s provider: openai/… is on the responses API, beside codex; an unknown provider is refused', () => {
    const withModel = (model: string) => ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude'] }, { name: 'oc', tool: 'opencode', argv: ['opencode'], model }, { name: 'codex', tool: 'codex', argv: ['codex'] }] });
    expect(rehearsalMisfits(withModel('openai/gpt-5.5'), scenario({ claude: 'anthropic', codex: 'responses' }))[0]).toContain('oc and codex both use the responses API');
    expect(rehearsalMisfits(withModel('anthropic/claude-sonnet-4-6'), scenario({ claude: 'anthropic', codex: 'responses' }))[0]).toContain('claude and oc both use the anthropic API');
    const ocOpenai = ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude'] }, { name: 'oc', tool: 'opencode', argv: ['opencode'], model: 'openai/gpt-5.5' }] });
    expect(rehearsalMisfits(ocOpenai, scenario({ claude: 'anthropic', x: 'responses' }))).toEqual([]);
    const ocGoogle = ConfigSchema.parse({ peers: [{ name: 'claude', tool: 'claude', argv: ['claude'] }, { name: 'oc', tool: 'opencode', argv: ['opencode'], model: 'google/gemini-3-pro' }] });
    expect(rehearsalMisfits(ocGoogle, scenario({ claude: 'anthropic' }))).toEqual([
      'oc (opencode) uses model google/gemini-3-pro, whose provider the scripted model server does not speak (it speaks the Anthropic and OpenAI Responses APIs): rehearse it with `model: anthropic/…` or `model: openai/…` in .peers/config.yaml',
    ]);
  });

  test("the demo's scenario for an opencode peer: its anthropic peer commits as claude, so every opencode turn would fail its handoff (and be retried while codex waits)", () => {
    expect(rehearsalMisfits(config([['claude', 'claude'], ['codex', 'codex']]), demoScenario())).toEqual([]);
    expect(rehearsalMisfits(config([['opencode', 'opencode'], ['codex', 'codex']]), demoScenario())).toEqual([
      "opencode plays the scenario's 'claude' (the anthropic API), whose scripted commits say `Peer: claude`: every opencode turn would fail the handoff check; write `Peer: opencode` in them",
    ]);
  });

  test('on the host: a bad scenario is reported with its file and line; a misfit names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'peers-rehearse-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'version: 1\npeers:\n  claude:\n    api: anthropic\n    ticks:\n      - replies:\n          - nonsense: 1\n');
      expect(() => checkRehearsal(bad, config([['claude', 'claude'], ['codex', 'codex']]))).toThrow(expect.objectContaining({ exitCode: 2, location: expect.objectContaining({ file: bad, line: 7 }) }));
      const misfit = join(dir, 'misfit.yaml');
      writeFileSync(misfit, 'version: 1\npeers:\n  claude:\n    api: anthropic\n    ticks:\n      - replies:\n          - text: hi\n');
      expect(() => checkRehearsal(misfit, config([['claude', 'claude'], ['codex', 'codex']]))).toThrow(expect.objectContaining({ exitCode: 2, location: { file: misfit }, message: expect.stringContaining('codex uses the responses API'), hint: expect.stringContaining('`peers demo --keep` leaves') }));
      expect(() => checkRehearsal(join(dir, 'missing.yaml'), config([['claude', 'claude'], ['codex', 'codex']]))).toThrow('scenario file not found');
      // The hint names what a user of the binary alone has (the repository's example files are not shipped).
      expect(() => checkRehearsal(join(dir, 'missing.yaml'), config([['claude', 'claude'], ['codex', 'codex']]))).toThrow(
        expect.objectContaining({ exitCode: 2, hint: expect.stringContaining('`peers demo --keep` leaves a complete one to copy') }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
