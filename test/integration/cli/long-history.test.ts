/**
 * A repository with a long history (tens of thousands of commits, as a project a few years old
 * has): `peers init` then `peers verify` on it, unmodified, is green. Before, `bug-hunt-clean` asked git once per commit
 * of the whole history whether it came before the run's baseline, and timed out (120 s) on
 * 40,000 commits: verify failed on a healthy project, and in a run the gate was red every tick.
 * The history is made with git fast-import (real commits, one file changed in each).
 */
import { afterAll, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, makeSandbox, runPeers } from './peers-cli.ts';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

const COMMITS = 40_000;

/** A fast-import stream: the project's files in the first commit, then one small change per commit (an old Bug-Report among them). */
function history(): string {
  const out: string[] = [];
  const file = (path: string, text: string) => out.push(`M 644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  for (let i = 0; i < COMMITS; i++) {
    const message = i === 1000 ? 'Off-by-one in f7\n\nBug-Report: BUG-old\n\n```json\n{"id": "BUG-old", "severity": "low"}\n```\n' : `change ${i}\n`;
    out.push(`commit refs/heads/main\ncommitter Dev <dev@example.com> ${1_500_000_000 + i * 60} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
    if (i === 0) {
      file('package.json', `${JSON.stringify({ name: 'old-lib', version: '3.2.0', scripts: { test: 'node --test' } }, null, 2)}\n`);
      file('test/lib.test.js', "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => assert.equal(1 + 1, 2));\n");
    }
    file(`src/f${i % 200}.txt`, `revision ${i}\n`);
  }
  return out.join('');
}

test(`init then verify on a repository with ${COMMITS} commits: green`, () => {
  const repo = join(sb.root, 'old-lib');
  mkdirSync(repo);
  gitIn(repo, ['init', '-q', '-b', 'main']);
  const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: repo, input: history(), encoding: 'utf8' });
  expect(imported.status, imported.stderr).toBe(0);
  gitIn(repo, ['reset', '-q', '--hard', 'main']);
  const env = { ...sb.env, npm_config_cache: join(sb.root, 'npm-cache'), npm_config_update_notifier: 'false' };
  expect(runPeers(['init'], { cwd: repo, env }).code).toBe(0);

  const verify = runPeers(['verify', '--json'], { cwd: repo, env });
  expect(verify.stdout, verify.stderr).not.toBe('');
  const report = JSON.parse(verify.stdout) as { hard: { id: string; state: string; diagnostic: string }[] };
  expect(report.hard.map((g) => [g.id, g.state, g.diagnostic])).toEqual([
    ['self-review-on-handoff', 'pass', ''],
    ['bug-hunt-clean', 'pass', ''],
    ['tests-pass', 'pass', ''],
  ]);
  expect(verify.code).toBe(0);
}, 300_000);
