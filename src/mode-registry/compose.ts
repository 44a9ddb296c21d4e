/**
 * Which modes may be stacked, and the goal program a stack installs. Pure: `peers init` and
 * `peers new` validate a request here before they touch anything, so a refused stack leaves the
 * repository as it was.
 *
 * Rules: describe, implement (and default) run alone; thorough needs audit; implement needs
 * --plan, --plan needs implement, and --plan excludes --spec. Goals of stacked modes are united in
 * the registry's order; a goal two modes share is installed once (their definitions are identical,
 * which the mode tests check).
 */
import { parse } from 'yaml';
import { InputError, InputErrors } from '../cli/errors.ts';
import { didYouMean } from '../cli/did-you-mean.ts';
import { BUILTIN_MODES, findMode, MODE_NAMES, type BuiltinMode, type ModeName } from './registry.ts';

export type ModeRequest = { modes: string[]; plan?: boolean; spec?: boolean };

/** Parses `--modes a,b` (commas and spaces) into names, lower-cased, without duplicates. */
export function parseModeList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean))];
}

export function resolveModes(req: ModeRequest): BuiltinMode[] {
  const problems: InputError[] = [];
  const chosen: BuiltinMode[] = [];
  for (const name of req.modes) {
    const mode = findMode(name);
    if (mode) chosen.push(mode);
    else {
      const guess = didYouMean(name, [...MODE_NAMES]);
      problems.push(new InputError(`unknown mode "${name}"${guess ? `; did you mean ${guess}?` : ''}`, { hint: `the modes are ${MODE_NAMES.join(', ')} (peers modes list)` }));
    }
  }
  const names = chosen.map((m) => m.name);
  for (const m of chosen) {
    if (m.standalone && chosen.length > 1) {
      const others = names.filter((n) => n !== m.name);
      problems.push(new InputError(`${m.name} cannot be stacked with ${others.join(', ')}: ${m.standaloneWhy}`, { hint: `use --modes ${m.name} alone, and ${others.join(',')} in a separate run` }));
    }
    for (const r of m.requires) {
      if (!names.includes(r)) problems.push(new InputError(`${m.name} needs ${r}: it tightens what ${r}'s gates call clean, and has no gates of its own to tighten`, { hint: `use --modes ${[...new Set([r, ...names])].join(',')}` }));
    }
  }
  if (names.includes('implement') && !req.plan) problems.push(new InputError('implement needs a plan: --plan FILE (a PLAN.md with ## Meta and ## Steps)', { hint: 'peers init --modes implement --plan PLAN.md' }));
  if (req.plan && !names.includes('implement')) problems.push(new InputError('--plan is the input of implement mode', { hint: 'peers init --modes implement --plan PLAN.md' }));
  if (req.plan && req.spec) problems.push(new InputError('--spec and --plan exclude each other: in implement mode the plan is the specification', { hint: "put what the spec says into the plan's steps and ## Architecture section" }));
  // Each problem once (a standalone mode stacked with another standalone one reports both sides).
  const unique = [...new Map(problems.map((p) => [p.message, p])).values()];
  if (unique.length === 1) throw unique[0];
  if (unique.length > 1) throw new InputErrors(unique);
  return BUILTIN_MODES.filter((m) => names.includes(m.name));
}

export type RawGoal = Record<string, unknown> & { id: string; type: 'hard' | 'soft' };
export type ModeGoals = { mode: ModeName; goals: RawGoal[] };

export function modeGoals(mode: BuiltinMode): RawGoal[] {
  const doc = parse(mode.goalsYaml) as { goals?: RawGoal[] };
  return doc.goals ?? [];
}

/** Goals of each mode in stack order, a goal already installed by an earlier mode left out. */
export function mergeModeGoals(modes: BuiltinMode[]): ModeGoals[] {
  const seen = new Map<string, { mode: ModeName; json: string }>();
  const out: ModeGoals[] = [];
  for (const mode of modes) {
    const goals: RawGoal[] = [];
    for (const g of modeGoals(mode)) {
      const json = JSON.stringify(g);
      const before = seen.get(g.id);
      if (before) {
        if (before.json !== json) throw new Error(`modes ${before.mode} and ${mode.name} define goal "${g.id}" differently`);
        continue;
      }
      seen.set(g.id, { mode: mode.name, json });
      goals.push(g);
    }
    out.push({ mode: mode.name, goals });
  }
  return out;
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** Fills `{{name}}` in every string of a goal; a placeholder without a value is a bug. */
export function fillGoal(goal: RawGoal, vars: Record<string, string>): RawGoal {
  const fill = (s: string) =>
    s.replace(PLACEHOLDER, (_, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new Error(`goal ${goal.id}: no value for {{${name}}}`);
      return v;
    });
  return Object.fromEntries(Object.entries(goal).map(([k, v]) => [k, typeof v === 'string' ? fill(v) : v])) as RawGoal;
}

export function placeholdersOf(goal: RawGoal): string[] {
  return Object.values(goal).flatMap((v) => (typeof v === 'string' ? [...v.matchAll(PLACEHOLDER)].map((m) => m[1]!) : []));
}
