import { describe, expect, test } from 'bun:test';
import { parse } from 'yaml';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { contractDigest, contractFromGoals, contractLogProblem, contractsLogLine, readContractsLog, withContract, type Contract } from '../../../src/mode-registry/contract.ts';
import { contractRefusal, frozenPathsTouched, refuseTurn } from '../../../src/loop/shell/contract-guard.ts';
import { resolveModes } from '../../../src/mode-registry/compose.ts';
import { renderModeGoals } from '../../../src/mode-registry/render-mode-files.ts';
import type { TickObservation } from '../../../src/loop/tick.ts';

const BLOB = 'a'.repeat(40);
const GOALS = renderModeGoals({
  modes: resolveModes({ modes: ['implement'], plan: true }),
  proposal: { kinds: [], gates: [], egress: [], notes: [] },
  vars: { lang: '', acceptance: 'node --test test/acceptance.test.js', pins: ` --pin test/acceptance.test.js=${BLOB}`, acked: '' },
  omit: new Set(),
});
const goalsOf = (text: string) => GoalsSchema.parse(parse(text));

function logFor(entries: Array<[string, Contract]>): string {
  let prev: string | undefined;
  let text = '';
  entries.forEach(([body, c], i) => {
    const l = contractsLogLine(prev, body, contractDigest(c), new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    text += l.line;
    prev = l.chain;
  });
  return text;
}

describe('frozen acceptance contract', () => {
  const c = contractFromGoals(goalsOf(GOALS))!;

  test('the goal program carries it: command, pinned files, acknowledged blocks', () => {
    expect(c).toEqual({ acceptance: 'node --test test/acceptance.test.js', pins: [{ path: 'test/acceptance.test.js', blob: BLOB }], acked: [] });
    expect(contractFromGoals({ goals: [] })).toBeUndefined();
  });

  test('rewriting it keeps the rest of goals.yaml, comments included, and reads back the same', () => {
    const next: Contract = { ...c, acceptance: 'npm test', acked: ['STEP-2'] };
    const text = withContract(GOALS, next);
    expect(contractFromGoals(goalsOf(text))).toEqual(next);
    expect(text).toContain('# ---- mode implement ----');
    expect(text).toContain('cmd: peers check plan-complete --acked STEP-2');
  });

  test('the log is a hash chain: the goals must match its last entry; edits, removals and reorders are found', () => {
    const amended: Contract = { ...c, acceptance: 'npm test' };
    const log = logFor([['init', c], ['amend acceptance: npm test | reason: spec changed', amended]]);
    expect(contractLogProblem(log, amended)).toBeUndefined();
    // goals.yaml edited by hand back to the first contract: not the logged one.
    expect(contractLogProblem(log, c)).toBe('the acceptance contract in goals.yaml (acceptance-pass, contracts-unchanged, plan-complete) is not the one .peers/contracts.log:2 records');
    const lines = log.trimEnd().split('\n');
    expect(readContractsLog(`${lines[1]}\n${lines[0]}\n`)).toEqual({ error: 'contracts.log:1: the chain is broken (an entry was edited, removed or reordered)' });
    expect(readContractsLog(log.replace('spec changed', 'spec chnaged'))).toEqual({ error: 'contracts.log:2: the chain is broken (an entry was edited, removed or reordered)' });
    // Dropping the last entry leaves a valid chain, but then its state is not the goals' contract.
    expect(contractLogProblem(`${lines[0]}\n`, amended)).toContain('contracts.log:1 records');
    expect(contractLogProblem(undefined, c)).toContain('.peers/contracts.log is missing');
  });

  test('a turn that changed a pinned file is refused: no handoff, no credit, the reason in both prompts', () => {
    expect(frozenPathsTouched(c, ['src/a.js', 'test/acceptance.test.js'])).toEqual(['test/acceptance.test.js']);
    expect(frozenPathsTouched(c, ['src/a.js'])).toEqual([]);
    expect(frozenPathsTouched(undefined, ['test/acceptance.test.js'])).toEqual([]);
    const obs = { success: true, credit: 1, handoff_sha: 'abc', soft_fail_reason: null, cause: null, warnings_emitted: [], warnings_for_peer: [] } as unknown as TickObservation;
    const reason = contractRefusal('alice', ['test/acceptance.test.js']);
    expect(refuseTurn(obs, reason)).toMatchObject({ success: false, credit: 0, handoff_sha: null, cause: reason, warnings_emitted: [reason], warnings_for_peer: [reason] });
    expect(reason).toContain('peers amend');
  });
});
