/**
 * describe and document end to end: `peers init --modes describe|document`, two scripted peers, the
 * compiled loop and its gates. describe converges; each mode's own gate holds a run that breaks its
 * rule (document converging per language: mode-runs.test.ts).
 */
import { afterEach, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT, DESCRIBE_DOCS, DOCUMENT_DRIFT } from './mode-projects.ts';
import { failingGates, modeRun, type ModeRun } from './mode-run.ts';

let run: ModeRun | undefined;
afterEach(() => run?.cleanup());

const RUN_TIMEOUT = 600_000;
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('describe', () => {
  // describe reads and writes Markdown only: the project's language changes nothing, so one project serves.
  test('the peers write SPEC, ARCHITECTURE and DESIGN, then only refine them: the run completes', async () => {
    run = await modeRun({ modes: ['describe'], start: AUDIT.python.start, scenario: 'describe', fake: { docs: DESCRIBE_DOCS }, maxTicks: 8 });
    expect([run.outcome.reason, failingGates(run)]).toEqual(['complete', {}]);
    expect(Object.keys(run.state.gates.results).sort()).toEqual(['description-converged', 'description-files-present', 'description-sections-present', 'self-review-on-handoff']);
    expect(run.init.modes?.modes).toEqual(['describe']);
  }, RUN_TIMEOUT);

  test('describe holds: a peer that adds a section every turn never lets the description converge', async () => {
    run = await modeRun({ modes: ['describe'], start: AUDIT.python.start, scenario: 'describe-churn', fake: { docs: DESCRIBE_DOCS }, maxTicks: 5 });
    expect(run.outcome.reason).toBe('max_ticks');
    expect(Object.keys(failingGates(run))).toEqual(['description-converged']);
    expect(failingGates(run)['description-converged']).toContain('still changed them substantially');
  }, RUN_TIMEOUT);
});

describe('document', () => {
  // document converging on a project of each language: mode-runs.test.ts (stacked with audit,thorough).
  test.skipIf(!have('python3'))('document holds: a signature changed after the map was written keeps codemap-signature-match red', async () => {
    run = await modeRun({ modes: ['document'], lang: 'python', start: AUDIT.python.start, scenario: 'document-drift', fake: { drift: DOCUMENT_DRIFT.python }, maxTicks: 2 });
    expect(run.outcome.reason).toBe('max_ticks');
    expect(failingGates(run)['codemap-signature-match']).toContain('src/shapes.py:area: signature is def area(w, h, scale=1)');
  }, RUN_TIMEOUT);

  test.skipIf(!have('python3'))('document holds: a peer that makes no symbol public (`__all__ = []`) and maps nothing holds api-stable', async () => {
    // Every document gate is judged against HEAD's public symbols, which the peers write: one line
    // left the code working as before with nothing public, an empty CODEMAP.yaml and an
    // ARCHITECTURE.md anchored to nothing passed them all, and the run ended `complete` before.
    run = await modeRun({ modes: ['document'], lang: 'python', start: AUDIT.python.start, scenario: 'document-unexport', maxTicks: 8 });
    expect(readFileSync(join(run.repo, 'CODEMAP.yaml'), 'utf8')).toBe('entries: []\n');
    expect(run.outcome.reason).toBe('max_ticks');
    expect(Object.keys(failingGates(run))).toEqual(['api-stable']);
    expect(failingGates(run)['api-stable']).toContain('src/shapes.py:area (function, src/shapes.py:4): removed');
  }, RUN_TIMEOUT);
});
