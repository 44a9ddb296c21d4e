/**
 * A script that passes `--state-dir "$RUN"` with RUN unset: the empty value is refused (exit 2),
 * never taken as "no flag", which read the current project's run in place of the one meant.
 */
import { afterAll, expect, test } from 'bun:test';
import { makeRepo, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

test('--state-dir "" is an input error for status, report and replay, in text and --json', () => {
  const repo = makeRepo(sb.root, 'app');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  expect(runPeers(['up', '--clone-only'], { cwd: repo, env: sb.env }).code).toBe(0);
  for (const cmd of [['status'], ['report'], ['replay', '1']]) {
    const text = runPeers([...cmd, '--state-dir', ''], { cwd: repo, env: sb.env });
    expect(text.stderr).toContain('--state-dir is empty');
    expect(text.code).toBe(2);
    const json = runPeers([...cmd, '--state-dir=', '--json'], { cwd: repo, env: sb.env });
    expect(JSON.parse(json.stdout).error.message).toBe('--state-dir is empty');
    expect(json.code).toBe(2);
  }
}, 120_000);

test('a --state-dir that exists but holds no run (a mistyped parent, the repository) is an input error naming it, not "start a run first"', () => {
  const repo = makeRepo(sb.root, 'other');
  expect(runPeers(['init'], { cwd: repo, env: sb.env }).code).toBe(0);
  for (const cmd of [['status'], ['report']]) {
    const r = runPeers([...cmd, '--state-dir', sb.root], { cwd: repo, env: sb.env });
    expect(r.stderr).toContain(`--state-dir ${sb.root} is not a run's state directory (no state.json, runs.jsonl or run/ in it)`);
    expect(r.stderr).not.toContain('start a run first');
    expect(r.code).toBe(2);
    const file = runPeers([...cmd, '--state-dir', `${repo}/.peers/config.yaml`], { cwd: repo, env: sb.env });
    expect(file.stderr).toContain('is not a directory');
    expect(file.code).toBe(2);
  }
}, 60_000);
