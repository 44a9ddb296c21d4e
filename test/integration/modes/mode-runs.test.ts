/**
 * audit, thorough and document end to end: `peers init --modes audit,thorough,document`
 * on a small real project per language, two scripted peers, the compiled loop with its real gates.
 * The stack converges; audit's own gates hold a run that breaks its rule. describe and document
 * holds: doc-mode-runs.test.ts; implement: implement-mode-runs.test.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT, AUDIT_BREAK, type Lang } from './mode-projects.ts';
import { failingGates, modeRun, type ModeRun } from './mode-run.ts';

let run: ModeRun | undefined;
afterEach(() => run?.cleanup());

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// The toolchains test/apt-packages.txt and test/setup.sh install; a machine without one cannot run that project at all.
const TOOLCHAIN: Record<Lang, boolean> = { python: have('python3') && spawnSync('python3', ['-c', 'import pytest']).status === 0, js: have('node'), go: have('go'), rust: have('cargo') };
const LANGS: Lang[] = ['python', 'js', 'go', 'rust'];
const RUN_TIMEOUT = 600_000;

// CODEMAP.yaml ids of each project's parse function (document mode: seeded by init, kept by the peers).
const PARSE_ID: Record<Lang, string> = { python: 'src/shapes.py:parse_size', js: 'src/shapes.js:parseSize', go: 'shapes.go:ParseSize', rust: 'src/lib.rs:parse_size' };

describe('audit,thorough,document', () => {
  // The three modes that stack, in one run per language: each run proves every one of them converges
  // on that project, at the cost of one run instead of two.
  for (const lang of LANGS) {
    test.skipIf(!TOOLCHAIN[lang])(`${lang}: a bug is filed, reproduced by a failing test, fixed; the code documented; every gate goes green and the run completes`, async () => {
      const p = AUDIT[lang];
      run = await modeRun({ modes: ['audit', 'thorough', 'document'], lang, start: p.start, scenario: 'audit', fake: { reproduce: p.reproduce, fix: p.fix }, fakeText: { 'bug-title': 'a size with three parts is accepted', 'bug-location': p.location }, maxTicks: 10 });
      expect([run.outcome.reason, failingGates(run)]).toEqual(['complete', {}]);
      const hard = Object.keys(run.state.gates.results);
      expect(hard).toEqual(expect.arrayContaining(['bug-hunt-clean', 'tdd-reproduces-bug', 'no-prior-regression', 'api-stable', 'deps-justified', 'diff-size-per-resolve', 'tests-no-unjustified-skip']));
      if (lang !== 'python') expect(hard).toEqual(expect.arrayContaining(['lint-clean'])); // the Python project has no linter configured
      expect(hard).toEqual(expect.arrayContaining(['codemap-grounded', 'codemap-signature-match', 'codemap-complete', 'codemap-summaries-complete', 'architecture-grounded']));
      const map = readFileSync(join(run.repo, 'CODEMAP.yaml'), 'utf8');
      expect(map).toContain(`id: ${PARSE_ID[lang]}`);
      expect(map).not.toContain('summary: ""');
      // The scripted peers vote before their turn's work, so the votes of ticks 1 and 2 (alice
      // documents the code, bob fixes the bug after voting) are void: a pass counts only for the
      // code it read. Every goal is `reviewer: both` with consensus 2, so each peer then passes each
      // goal twice in a row (ticks 3 to 6); only then the skeptic. The clean-tick streak of
      // thorough (3, not 2) is met on the way; convergence-protocol.test.ts ("N=3 clean ticks alone…") holds it alone.
      const t = run.ticks;
      expect(t[0]!.new_blocking_bugs).toBe(1);
      expect(t.slice(0, 2).map((x) => (x.warnings_emitted ?? []).some((w) => w.includes('pass votes cast before a later code change')))).toEqual([true, true]);
      const skeptic = t.findIndex((x) => x.skeptic);
      expect(t.slice(0, skeptic).map((x) => x.clean_ticks)).toEqual([0, 1, 2, 3, 4, 5]);
    }, RUN_TIMEOUT);
  }

  test.skipIf(!TOOLCHAIN.python)("audit holds: a removed public function and an undisclosed dependency keep api-stable and deps-justified red", async () => {
    const p = AUDIT.python;
    run = await modeRun({ modes: ['audit'], lang: 'python', start: p.start, scenario: 'audit-break', fake: { break: AUDIT_BREAK }, maxTicks: 2 });
    expect(run.outcome.reason).toBe('max_ticks');
    const failing = failingGates(run);
    expect(Object.keys(failing).sort()).toEqual(['api-stable', 'deps-justified']);
    expect(failing['api-stable']).toContain('src/shapes.py:perimeter (function, src/shapes.py:8): removed');
    expect(failing['deps-justified']).toContain('pyproject.toml: requests');
  }, RUN_TIMEOUT);
  // thorough's other hold, no convergence while a peer is degraded, is the loop's rule with the
  // setting init writes: test/integration/loop/convergence-protocol.test.ts ("with
  // require_healthy_peers a degraded peer holds convergence") and modes-init.test.ts.
});
