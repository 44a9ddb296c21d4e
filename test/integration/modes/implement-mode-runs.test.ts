/**
 * implement end to end: `peers init --modes implement --plan PLAN.md` on a project whose acceptance
 * test fails, two scripted peers that implement the two steps, check off each other's, write
 * DELIVERY.md and their own honesty audits: the run completes. A peer that checks off its own step,
 * and one that weakens the frozen acceptance test, hold the run.
 *
 * One language here: implement's own checks read PLAN.md, DELIVERY.md, HONESTY_AUDIT.md and git
 * only. Where the language enters (init detecting it and proposing the project's test gate, the
 * suite run on clean checkouts) the audit runs cover every language (mode-runs.test.ts); the
 * acceptance command is the operator's own shell command; the real claude and codex build the same
 * plan in test/integration/real-cli/implement-mode.test.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMPLEMENT } from './mode-projects.ts';
import { failingGates, modeRun, type ModeRun } from './mode-run.ts';

let run: ModeRun | undefined;
afterEach(() => run?.cleanup());

const RUN_TIMEOUT = 600_000;
const HAVE_NODE = spawnSync('sh', ['-c', 'command -v node']).status === 0;

describe('implement', () => {
  test.skipIf(!HAVE_NODE)('two steps, each checked off by the other peer; acceptance, delivery and honesty audit green; the run completes', async () => {
    const p = IMPLEMENT.js;
    run = await modeRun({ modes: ['implement'], lang: 'js', start: p.start, plan: p.plan, scenario: 'implement', fake: { step1: p.step1, step2: p.step2 }, maxTicks: 8 });
    expect([run.outcome.reason, failingGates(run)]).toEqual(['complete', {}]);
    expect(Object.keys(run.state.gates.results)).toEqual(expect.arrayContaining(['acceptance-pass', 'contracts-unchanged', 'plan-complete', 'checkoff-by-other-peer', 'plan-step-traceable', 'delivery-report-complete', 'honesty-audit', 'no-shortcut-markers']));
    expect(readFileSync(join(run.repo, 'PLAN.md'), 'utf8')).toMatch(/^- \[x\] \[STEP-2\] Greet in French \([0-9a-f]{40}\)$/m);
  }, RUN_TIMEOUT);

  test.skipIf(!HAVE_NODE)('implement holds: a self-checked step fails checkoff-by-other-peer; a turn that weakens the acceptance test is refused', async () => {
    const p = IMPLEMENT.js;
    run = await modeRun({ modes: ['implement'], lang: 'js', start: p.start, plan: p.plan, scenario: 'implement-self-checkoff', fake: { step1: p.step1, step2: p.step2, weaken: p.weaken }, maxTicks: 4 });
    expect(run.outcome.reason).toBe('max_ticks');
    const bob = run.ticks.find((t) => t.peer === 'bob')!;
    expect(bob.success).toBe(false);
    expect(bob.cause).toContain("refused: bob's turn changed the frozen acceptance contract (test/acceptance.test.js)");
    const failing = failingGates(run);
    expect(failing['checkoff-by-other-peer']).toContain('STEP-1 was implemented and checked off by alice');
    expect(failing['contracts-unchanged']).toContain('test/acceptance.test.js: changed');
    // The refusal reaches the offender's next prompt.
    const bobAgain = run.ticks.filter((t) => t.peer === 'bob')[1]!;
    expect(readFileSync(join(run.root, 'state', bobAgain.prompt_file as string), 'utf8')).toContain('changed the frozen acceptance contract');
  }, RUN_TIMEOUT);

  test.skipIf(!HAVE_NODE)("a step's definition is the operator's: a peer that rewrites a step it should build as trivial and checks it off naming the other peer's commit holds plan-original-preserved", async () => {
    // STEP-3 (logging, which the acceptance test does not cover) was never built: alice rewrote
    // its "touches: src/log.js" to "trivial: true" and checked it off naming bob's STEP-2 commit,
    // so every plan gate read the step she wrote, and the run ended `complete` before.
    const p = IMPLEMENT.js;
    const plan = `${p.plan}- [ ] [STEP-3] Log every greeting to greetings.log\n  - touches: src/log.js\n`;
    run = await modeRun({ modes: ['implement'], lang: 'js', start: p.start, plan, scenario: 'implement-step-rewrite', fake: { step1: p.step1, step2: p.step2 }, maxTicks: 8 });
    expect(readFileSync(join(run.repo, 'PLAN.md'), 'utf8')).toMatch(/^- \[x\] \[STEP-3\] Log every greeting to greetings.log \([0-9a-f]{40}\)\n {2}- trivial: true$/m);
    expect(run.outcome.reason).toBe('max_ticks');
    const held = failingGates(run)['plan-original-preserved'];
    expect(held).toContain('STEP-3 changed its touches from "src/log.js" to "(none)"');
    expect(held).toContain('STEP-3 changed its trivial from "false" to "true"');
  }, RUN_TIMEOUT);
});
