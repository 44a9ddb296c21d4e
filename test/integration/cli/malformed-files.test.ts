import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers, STACK_LINE } from './peers-cli.ts';

const sb = makeSandbox();
let repo: string;
let goodConfig: string;
let goodGoals: string;
beforeAll(() => {
  repo = makeRepo(sb.root, 'proj');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  goodConfig = readFileSync(join(repo, '.peers/config.yaml'), 'utf8');
  goodGoals = readFileSync(join(repo, '.peers/goals.yaml'), 'utf8');
});
afterAll(() => sb.cleanup());

/** Writes one broken file (the other stays good), runs `peers info`, returns stderr. */
function infoWith(files: { config?: string; goals?: string }): { code: number; stderr: string; stdout: string } {
  writeFileSync(join(repo, '.peers/config.yaml'), files.config ?? goodConfig);
  writeFileSync(join(repo, '.peers/goals.yaml'), files.goals ?? goodGoals);
  const res = runPeers(['info'], { cwd: repo, env: sb.env });
  expect(res.code).toBe(2);
  expect(res.stderr).not.toMatch(STACK_LINE);
  expect(res.stderr).not.toContain('internal error');
  return res;
}

const GOALS = (extra: string) => `goals:\n  - id: ok\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0\n${extra}`;

describe('malformed control files: file:line:column, exit 2, no stack trace', () => {
  test('YAML syntax error', () => {
    const res = infoWith({ goals: GOALS('  - id: bad\n   type: hard\n') });
    expect(res.stderr).toMatch(new RegExp(`^peers: ${repo}/\\.peers/goals\\.yaml:7:\\d+: YAML syntax error: `));
  });

  test('wrong type', () => {
    const res = infoWith({ config: goodConfig.replace('max_ticks: 200', 'max_ticks: two hundred') });
    const line = goodConfig.split('\n').findIndex((l) => l.includes('max_ticks: 200')) + 1;
    expect(res.stderr).toContain(`${repo}/.peers/config.yaml:${line}:14: budget.max_ticks: Invalid input: expected number, received string`);
  });

  test('unknown key with did-you-mean', () => {
    const res = infoWith({ config: goodConfig.replace('idle_timeout_s: 1800', 'idle_timout_s: 1800') });
    const line = goodConfig.split('\n').findIndex((l) => l.includes('idle_timeout_s: 1800')) + 1;
    expect(res.stderr).toContain(`${repo}/.peers/config.yaml:${line}:3: unknown key 'idle_timout_s' in health; did you mean idle_timeout_s?`);
  });

  test('duplicate goal id points at the second one', () => {
    const res = infoWith({ goals: GOALS('  - id: ok\n    type: soft\n    prompt: p\n    reviewer: other\n') });
    expect(res.stderr).toContain(`${repo}/.peers/goals.yaml:6:9: goals[1].id: duplicate goal id 'ok'; goal ids must be unique`);
  });

  test('unparsable pass_when points into the expression', () => {
    const res = infoWith({ goals: GOALS('  - id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code == 0 and\n') });
    expect(res.stderr).toMatch(new RegExp(`${repo}/\\.peers/goals\\.yaml:9:\\d+: goals\\[1\\]\\.pass_when: pass_when does not parse: `));
  });

  test('a pass_when that can never be a bool (a bare exit_code) is refused at load, where it is, exit 2: not a gate failing at its first run', () => {
    const res = infoWith({ goals: GOALS('  - id: t\n    type: hard\n    cmd: "true"\n    pass_when: exit_code\n') });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${repo}/.peers/goals.yaml:9:16: goals[1].pass_when: pass_when must return a bool, and this is always a value of type int: compare it`);
  });

  test('problems in both files are reported together, and --json carries them', () => {
    writeFileSync(join(repo, '.peers/config.yaml'), goodConfig.replace('jobs: 4', 'jobz: 4'));
    writeFileSync(join(repo, '.peers/goals.yaml'), GOALS('  - id: x\n    type: hard\n'));
    const res = runPeers(['info', '--json'], { cwd: repo, env: sb.env });
    expect(res.code).toBe(2);
    const err = JSON.parse(res.stdout).error;
    expect(err.exit_code).toBe(2);
    expect(err.message).toContain("unknown key 'jobz' in goals; did you mean jobs?");
    expect(err.message).toContain("missing required key 'cmd' in goals[1]");
    expect(res.stderr).not.toMatch(STACK_LINE);
  });

  test('a million-deep nesting and a 50,000-key mapping: file, line and the limit, exit 2', () => {
    const deep = infoWith({ goals: `goals: ${'['.repeat(1_000_000)}\n` });
    expect(deep.stderr).toMatch(new RegExp(`^peers: ${repo}/\\.peers/goals\\.yaml:1:\\d+: YAML nested deeper than 64 levels \\(the limit\\)`));
    const keys = Array.from({ length: 50_000 }, (_, i) => `  k${i}: ${i}`).join('\n');
    const wide = infoWith({ config: goodConfig.replace(/^budget:\n/m, `budget:\n${keys}\n`) });
    const line = goodConfig.split('\n').findIndex((l) => l === 'budget:') + 2;
    expect(wide.stderr).toContain(`${repo}/.peers/config.yaml:${line}:3: unknown key 'k0' in budget`);
    expect(wide.stderr.split('\n').filter((l) => l.includes('unknown key')).length).toBe(20);
  }, 60_000);
});
