/**
 * `peers doctor` before bed, per registered project: each peer's credentials (by name, never the
 * value), and what the last `peers verify` said and cost. The real CLI, real repositories.
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

type Check = { id: string; status: string; detail: string; fix?: string; required: boolean };
const SECRET = 'sk-ant-api03-never-print-this-value';

test('per peer credentials and the last verify, with their fixes; no secret is ever printed', () => {
  const repo = makeRepo(sb.root, 'lib');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  const env = { ...sb.env, ANTHROPIC_API_KEY: SECRET };
  const doctor = () => {
    const r = runPeers(['doctor', '--json'], { cwd: sb.root, env });
    expect(r.stdout).not.toContain(SECRET);
    return JSON.parse(r.stdout) as { checks: Check[]; ok: boolean };
  };
  const byId = (checks: Check[], id: string) => checks.find((c) => c.id === id);

  let report = doctor();
  expect(byId(report.checks, `credentials:${repo}:claude`)).toMatchObject({ status: 'ok', detail: 'ANTHROPIC_API_KEY is set (an API key: only the auth sidecar will hold it)' });
  expect(byId(report.checks, `credentials:${repo}:codex`)).toMatchObject({ status: 'fail', required: true, fix: expect.stringContaining('export OPENAI_API_KEY=…') });
  expect(byId(report.checks, `verify:${repo}`)).toMatchObject({ status: 'warn', fix: `peers verify -C ${repo}` });
  expect(report.ok).toBe(false);

  // A codex login instead of a key; the placeholder goal replaced by a gate that passes; verified.
  mkdirSync(join(sb.home, '.codex'), { recursive: true });
  writeFileSync(join(sb.home, '.codex', 'auth.json'), JSON.stringify({ auth_mode: 'chatgpt', OPENAI_API_KEY: null, tokens: { id_token: 'eyJ.a.b', access_token: 'eyJ.c.d', refresh_token: 'rt_x', account_id: 'acct' }, last_refresh: '2026-12-01T00:00:00Z' }));
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: tests-pass, type: hard, cmd: "true", pass_when: exit_code == 0 }\n');
  expect(runPeers(['verify', '-C', repo], { cwd: repo, env }).code).toBe(0);
  report = doctor();
  expect(byId(report.checks, `credentials:${repo}:codex`)).toMatchObject({ status: 'ok', detail: expect.stringContaining('logged in (~/.codex/auth.json)') });
  expect(byId(report.checks, `verify:${repo}`)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/passed: the gates took \d+\.\d s, slowest tests-pass \d+\.\d s; each tick with a new commit pays this again$/) });

  // The text output: one line per check, the fix under each problem.
  writeFileSync(join(repo, '.peers', 'goals.yaml'), 'goals:\n  - { id: tests-pass, type: hard, cmd: "echo broken >&2; exit 1", pass_when: exit_code == 0 }\n');
  expect(runPeers(['verify', '-C', repo], { cwd: repo, env }).code).toBe(1);
  const text = runPeers(['doctor'], { cwd: sb.root, env: { ...env, HOME: join(sb.root, 'nobody') } });
  expect(text.stdout).not.toContain(SECRET);
  // The sandbox sets OPENAI_API_KEY empty: with no login beside it, that is what doctor names.
  expect(text.stdout).toMatch(/FAIL {4}codex credentials +OPENAI_API_KEY is set but empty/);
  expect(text.stdout).toMatch(/warn {4}gates \(last verify\) +last verify of [0-9a-f]{8} \([^)]+\): 1 of 1 gate\(s\) red \(tests-pass\)/);
  expect(text.stdout).toContain(`fix: peers verify -C ${repo}  # see .peers/VERIFY.md for what each failure printed`);
});
