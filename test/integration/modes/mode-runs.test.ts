/**
 * Every mode end to end (issue 17): `peers init --modes …` on a small real project per language,
 * two scripted peers, the real loop with its real gates. Each mode converges, and each mode's own
 * gate holds a run that breaks its rule.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { AUDIT, AUDIT_BREAK, DESCRIBE_DOCS, DOCUMENT_DRIFT, IMPLEMENT, type Lang } from './mode-projects.ts';
import { failingGates, modeRun, type ModeRun } from './mode-run.ts';

let run: ModeRun | undefined;
afterEach(() => run?.cleanup());

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// The toolchains test/apt-packages.txt and test/setup.sh install; a machine without one cannot run that project at all.
const TOOLCHAIN: Record<Lang, boolean> = { python: have('python3') && spawnSync('python3', ['-c', 'import pytest']).status === 0, js: have('node'), go: have('go'), rust: have('cargo') };
const LANGS: Lang[] = ['python', 'js', 'go', 'rust'];
const RUN_TIMEOUT = 600_000;

describe('audit,thorough', () => {
  for (const lang of LANGS) {
    test.skipIf(!TOOLCHAIN[lang])(`${lang}: a bug is filed, reproduced by a failing test, fixed; every audit gate goes green and the run completes`, async () => {
      const p = AUDIT[lang];
      run = await modeRun({ modes: ['audit', 'thorough'], lang, start: p.start, scenario: 'audit', fake: { reproduce: p.reproduce, fix: p.fix }, fakeText: { 'bug-title': 'a size with three parts is accepted', 'bug-location': p.location }, maxTicks: 10 });
      expect([run.outcome.reason, failingGates(run)]).toEqual(['complete', {}]);
      const hard = Object.keys(run.state.gates.results);
      expect(hard).toEqual(expect.arrayContaining(['bug-hunt-clean', 'tdd-reproduces-bug', 'no-prior-regression', 'api-stable', 'deps-justified', 'diff-size-per-resolve', 'tests-no-unjustified-skip']));
      if (lang !== 'python') expect(hard).toEqual(expect.arrayContaining(['lint-clean'])); // the Python project has no linter configured
      // thorough: three clean ticks in a row, then the skeptic.
      const t = run.ticks;
      expect(t[0]!.new_blocking_bugs).toBe(1);
      const skeptic = t.findIndex((x) => x.skeptic);
      expect(t[skeptic - 1]!.clean_ticks).toBeGreaterThanOrEqual(3);
    }, RUN_TIMEOUT);
  }

  test.skipIf(!TOOLCHAIN.python)("audit holds: a removed public function and an undisclosed dependency keep api-stable and deps-justified red", async () => {
    const p = AUDIT.python;
    run = await modeRun({ modes: ['audit'], lang: 'python', start: p.start, scenario: 'audit-break', fake: { break: AUDIT_BREAK }, maxTicks: 4 });
    expect(run.outcome.reason).toBe('max_ticks');
    const failing = failingGates(run);
    expect(Object.keys(failing).sort()).toEqual(['api-stable', 'deps-justified']);
    expect(failing['api-stable']).toContain('src/shapes.py:perimeter (function, src/shapes.py:8): removed');
    expect(failing['deps-justified']).toContain('pyproject.toml: requests');
  }, RUN_TIMEOUT);

  test.skipIf(!TOOLCHAIN.js)('thorough holds: with a peer down, N clean ticks are not enough', async () => {
    const p = AUDIT.js;
    run = await modeRun({ modes: ['audit', 'thorough'], lang: 'js', start: p.start, scenario: 'audit', fake: { reproduce: p.reproduce, fix: p.fix }, fakeText: { 'bug-title': 'x', 'bug-location': p.location }, peerFixture: { bob: 'crash' }, maxTicks: 9 });
    expect(run.outcome.reason).toBe('max_ticks');
    expect(run.ticks.some((x) => x.skeptic)).toBe(false);
    expect(run.state.peers.bob!.state).not.toBe('healthy');
  }, RUN_TIMEOUT);
});
