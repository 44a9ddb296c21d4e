import { describe, expect, test } from 'bun:test';
import { parse } from 'yaml';
import { InputError, InputErrors } from '../../../src/cli/errors.ts';
import { GoalsSchema } from '../../../src/config/goals-schema.ts';
import { mergeModeGoals, parseModeList, resolveModes } from '../../../src/mode-registry/compose.ts';
import { BUILTIN_MODES, listModes } from '../../../src/mode-registry/registry.ts';
import { renderModeGoals } from '../../../src/mode-registry/render-mode-files.ts';
import { CHECKS } from '../../../modes/checks/index.ts';

function refusal(req: Parameters<typeof resolveModes>[0]): string {
  try {
    resolveModes(req);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).format();
  }
  throw new Error('expected a refusal');
}

const EMPTY = { kinds: [], gates: [], egress: [], notes: [] };
const VARS = { lang: 'python', acceptance: 'node --test test/a.test.js', pins: ' --pin test/a.test.js=0123456789012345678901234567890123456789', acked: '' };

describe('mode stacking rules', () => {
  test('describe and implement run alone; the refusal names the fix', () => {
    expect(refusal({ modes: ['describe', 'audit'] })).toBe('describe cannot be stacked with audit: describe writes documentation while audit attacks code; run it first, then start a second run with --modes audit,thorough\n  hint: use --modes describe alone, and audit in a separate run');
    expect(refusal({ modes: ['audit', 'implement'], plan: true })).toContain('implement cannot be stacked with audit');
  });

  test('thorough needs audit', () => {
    expect(refusal({ modes: ['thorough'] })).toBe("thorough needs audit: it tightens what audit's gates call clean, and has no gates of its own to tighten\n  hint: use --modes audit,thorough");
  });

  test('implement needs --plan, --plan needs implement, --plan excludes --spec', () => {
    expect(refusal({ modes: ['implement'] })).toContain('implement needs a plan: --plan FILE');
    expect(refusal({ modes: ['audit'], plan: true })).toContain('--plan is the input of implement mode');
    expect(refusal({ modes: ['implement'], plan: true, spec: true })).toContain('--spec and --plan exclude each other');
  });

  test('an unknown mode gets a did-you-mean and the list; several problems are reported together', () => {
    expect(refusal({ modes: ['audti'] })).toContain('unknown mode "audti"; did you mean audit?');
    try {
      resolveModes({ modes: ['nope', 'thorough'] });
    } catch (error) {
      expect(error).toBeInstanceOf(InputErrors);
      expect((error as InputErrors).problems).toHaveLength(2);
    }
  });

  test('allowed stacks come back in the registry order, whatever order was asked', () => {
    expect(resolveModes({ modes: parseModeList('thorough, audit') }).map((m) => m.name)).toEqual(['audit', 'thorough']);
    expect(resolveModes({ modes: ['document', 'audit', 'thorough'] }).map((m) => m.name)).toEqual(['audit', 'thorough', 'document']);
  });
});

describe('mode goal programs', () => {
  const stacks = [['default'], ['audit'], ['audit', 'thorough'], ['audit', 'document'], ['audit', 'thorough', 'document'], ['document'], ['describe'], ['implement']];
  for (const names of stacks) {
    test(`${names.join(',')} renders to a valid goals file whose checks all exist`, () => {
      const modes = resolveModes({ modes: names, plan: names.includes('implement') });
      const text = renderModeGoals({ modes, proposal: EMPTY, vars: VARS, omit: new Set() });
      const goals = GoalsSchema.parse(parse(text)).goals;
      expect(new Set(goals.map((g) => g.id)).size).toBe(goals.length);
      for (const g of goals) {
        if (g.type !== 'hard') continue;
        expect(g.cmd).not.toContain('{{');
        for (const m of g.cmd.matchAll(/\bpeers check ([\w-]+)/g)) expect(Object.keys(CHECKS)).toContain(m[1]!);
      }
    });
  }

  test('a goal two stacked modes share is installed once (their definitions are identical)', () => {
    const merged = mergeModeGoals(resolveModes({ modes: ['audit', 'document'] }));
    const ids = merged.flatMap((m) => m.goals.map((g) => g.id));
    expect(ids.filter((id) => id === 'self-review-on-handoff')).toHaveLength(1);
  });

  test('audit fills in the language and leaves out a gate the project has no tool for', () => {
    const text = renderModeGoals({ modes: resolveModes({ modes: ['audit'] }), proposal: EMPTY, vars: VARS, omit: new Set(['type-clean']) });
    expect(text).toContain('cmd: peers check lint-clean --lang python');
    expect(text).toContain('cmd: peers check no-prior-regression --lang python');
    expect(text).not.toContain('type-clean');
  });

  test('modes list says what each mode adds and stacks with', () => {
    const list = Object.fromEntries(listModes().map((m) => [m.name, m]));
    expect(Object.keys(list)).toEqual(BUILTIN_MODES.map((m) => m.name));
    expect(list.audit).toMatchObject({ standalone: false, composes_with: ['thorough', 'document'] });
    expect(list.thorough).toMatchObject({ requires: ['audit'], config: { convergence_n: 3, require_healthy_peers: true } });
    expect(list.describe!.composes_with).toEqual([]);
    expect(list.implement!.hard).toContain('checkoff-by-other-peer');
    expect(list.audit!.hard).toEqual(expect.arrayContaining(['deps-justified', 'api-stable', 'no-prior-regression', 'diff-size-per-resolve', 'lint-clean', 'type-clean']));
  });
});
