/**
 * The built-in modes: named goal programs `peers init` can write. The list holds only modes whose
 * goals ship in this binary, so `peers modes list` never advertises something that does not exist.
 * Each mode's goal ids are read from its embedded goals file, not restated by hand.
 */
import { parse } from 'yaml';
import defaultGoals from '../../templates/goals.yaml' with { type: 'text' };

export type BuiltinMode = {
  name: string;
  description: string;
  /** The goals.yaml text the mode installs. */
  goalsYaml: string;
};

export const BUILTIN_MODES: readonly BuiltinMode[] = [
  {
    name: 'default',
    description: 'Self-review and bug-hunt gates, two bug-hunt review rounds, a 3-class test review, and a placeholder for your own gates (what `peers init` writes).',
    goalsYaml: defaultGoals,
  },
];

export type ModeSummary = { name: string; description: string; hard: string[]; soft: string[] };

export function summarizeMode(mode: BuiltinMode): ModeSummary {
  const parsed = parse(mode.goalsYaml) as { goals?: { id: string; type: string }[] };
  const goals = parsed.goals ?? [];
  return {
    name: mode.name,
    description: mode.description,
    hard: goals.filter((g) => g.type === 'hard').map((g) => g.id),
    soft: goals.filter((g) => g.type === 'soft').map((g) => g.id),
  };
}

export function listModes(): ModeSummary[] {
  return BUILTIN_MODES.map(summarizeMode);
}

export function findMode(name: string): BuiltinMode | undefined {
  return BUILTIN_MODES.find((m) => m.name === name);
}
