/**
 * `peers verify` of a Rust project on a machine without cargo: its setup (`cargo vendor …`) failed
 * as "exit=127; stderr-tail='/bin/sh: 1: eval: cargo: not found'", where the same command as a gate
 * says the program is not installed where it runs and where to look (missing-program.ts).
 */
import { afterAll, expect, test } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/config-schema.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { runVerify } from '../../../src/gates/verify-run.ts';
import { gitOk } from '../../../src/git/git.ts';
import { removeSelfBinDir } from '../../../src/proc/self-exec.ts';
import { removeTempDirs, tempDir } from '../../support/temp-dir.ts';

afterAll(removeTempDirs);
afterAll(removeSelfBinDir);

test("a setup whose program is not installed names it, as a gate's does", async () => {
  const repo = join(tempDir('verify-setup-missing-'), 'rs');
  mkdirSync(repo);
  gitOk(repo, ['init', '-q', '-b', 'main']);
  gitOk(repo, ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'start']);
  const config = ConfigSchema.parse({ peers: [{ name: 'a', tool: 'custom', argv: ['cat'] }, { name: 'b', tool: 'custom', argv: ['cat'] }], setup: 'mkdir -p .cargo && no-such-cargo-here vendor .peers-vendor >> .cargo/config.toml' });
  const goals = GoalsSchema.parse({ goals: [{ id: 'tests-pass', type: 'hard', cmd: 'true', pass_when: 'exit_code == 0' }] });
  const report = await runVerify({ repo, config, goals, jobs: 1 });
  expect(report.setup?.state).toBe('fail');
  expect(report.setup?.diagnostic).toStartWith('no-such-cargo-here: command not found (exit 127): it is not installed where setup runs');
  expect(report.setup?.diagnostic).toContain("stderr-tail='/bin/sh: 1: eval: no-such-cargo-here: not found");
});
