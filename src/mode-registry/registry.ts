/**
 * The built-in modes: named goal programs `peers init --modes` installs. Each mode's goals ship in
 * this binary (its goals.yaml is imported as text), its hard goals run `peers check <id>`, and its
 * stacking rules live here, next to the mode: `peers modes list` and `peers init` read the same
 * table, so what the list says composes is exactly what init accepts.
 */
import { parse } from 'yaml';
import auditGoals from '../../modes/audit/goals.yaml' with { type: 'text' };
import describeGoals from '../../modes/describe/goals.yaml' with { type: 'text' };
import documentGoals from '../../modes/document/goals.yaml' with { type: 'text' };
import implementGoals from '../../modes/implement/goals.yaml' with { type: 'text' };
import thoroughGoals from '../../modes/thorough/goals.yaml' with { type: 'text' };
import defaultGoals from '../../templates/goals.yaml' with { type: 'text' };

export const MODE_NAMES = ['default', 'audit', 'thorough', 'describe', 'document', 'implement'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

export type BuiltinMode = {
  name: ModeName;
  /** One line: what the mode is for. */
  description: string;
  /** What it adds to the goal program and to the loop's convergence rule. */
  adds: string;
  /** Runs alone: cannot be stacked with any other mode. */
  standalone: boolean;
  /** Modes that must be stacked with this one. */
  requires: ModeName[];
  /** The goals.yaml text the mode installs. */
  goalsYaml: string;
  /** config.yaml `goals:` settings the mode sets. */
  config?: { convergence_n?: number; require_healthy_peers?: boolean };
  /** Whether `peers init` also writes the gates it proposes from the project (tests, typecheck). */
  projectGates: boolean;
  /** Why it is standalone, for the validation message. */
  standaloneWhy?: string;
};

export const BUILTIN_MODES: readonly BuiltinMode[] = [
  {
    name: 'default',
    description: 'What plain `peers init` writes: self-review and bug-hunt gates, two bug-hunt review rounds, a 3-class test review, the gates proposed from the project.',
    adds: 'self-review-on-handoff, bug-hunt-clean; soft: two bug-hunt rounds, test-coverage-3-class',
    standalone: true,
    requires: [],
    goalsYaml: defaultGoals,
    projectGates: true,
    standaloneWhy: 'it is the plain goal program; the other modes replace it',
  },
  {
    name: 'audit',
    description: 'Find and fix real defects in an existing codebase without breaking what worked (the recommended start, stacked with thorough).',
    adds: 'bug hunt with TDD reproduction, happy/edge/sad coverage, unjustified skips, the project\'s own lint and type checker, secrets, disclosed dependencies, API stability, no prior regression, small fixes',
    standalone: false,
    requires: [],
    goalsYaml: auditGoals,
    projectGates: true,
  },
  {
    name: 'thorough',
    description: 'Against convergence theatre: more proof of stillness before the run may end.',
    adds: 'convergence after 3 clean ticks in a row (not 2), no convergence while a peer is unhealthy; soft: skeptic-pass, aggressive-honesty',
    standalone: false,
    requires: ['audit'],
    goalsYaml: thoroughGoals,
    config: { convergence_n: 3, require_healthy_peers: true },
    projectGates: false,
  },
  {
    name: 'describe',
    description: 'The peers write SPEC.md, ARCHITECTURE.md and DESIGN.md and refine them until they stop changing (before auditing a repository without docs).',
    adds: 'the three files with their required sections; converged after 2 non-substantive doc commits; soft: skeptic pass, tradeoff honesty',
    standalone: true,
    requires: [],
    goalsYaml: describeGoals,
    projectGates: false,
    standaloneWhy: 'describe writes documentation while audit attacks code; run it first, then start a second run with --modes audit,thorough',
  },
  {
    name: 'document',
    description: 'A verified machine-readable CODEMAP.yaml with a summary per public symbol, and an ARCHITECTURE.md anchored to it.',
    adds: 'CODEMAP grounded, signatures matching, complete and summarised; ARCHITECTURE.md anchored; no public symbol of the start removed or re-signed undisclosed; soft: cross-review of summaries and prose',
    standalone: false,
    requires: [],
    goalsYaml: documentGoals,
    projectGates: false,
  },
  {
    name: 'implement',
    description: 'Build a feature from PLAN.md against a frozen acceptance contract (needs --plan).',
    adds: 'acceptance command frozen (peers amend), plan steps checked off by a peer other than their implementer, traceable to commits, [PARTIAL]/[BLOCKED] (peers ack-block), DELIVERY.md, no shortcut markers, HONESTY_AUDIT.md per peer',
    standalone: true,
    requires: [],
    goalsYaml: implementGoals,
    projectGates: true,
    standaloneWhy: 'implement builds one planned feature under its own contract; audit the result in a second run',
  },
];

export function findMode(name: string): BuiltinMode | undefined {
  return BUILTIN_MODES.find((m) => m.name === name);
}

/** The modes `mode` can be stacked with (its `requires` included). */
export function composesWith(mode: BuiltinMode): ModeName[] {
  if (mode.standalone) return [];
  return BUILTIN_MODES.filter((m) => m.name !== mode.name && !m.standalone).map((m) => m.name);
}

export type ModeSummary = {
  name: ModeName;
  description: string;
  adds: string;
  standalone: boolean;
  requires: ModeName[];
  composes_with: ModeName[];
  hard: string[];
  soft: string[];
  config: Record<string, unknown>;
};

export function summarizeMode(mode: BuiltinMode): ModeSummary {
  const parsed = parse(mode.goalsYaml) as { goals?: { id: string; type: string }[] };
  const goals = parsed.goals ?? [];
  return {
    name: mode.name,
    description: mode.description,
    adds: mode.adds,
    standalone: mode.standalone,
    requires: mode.requires,
    composes_with: composesWith(mode),
    hard: goals.filter((g) => g.type === 'hard').map((g) => g.id),
    soft: goals.filter((g) => g.type === 'soft').map((g) => g.id),
    config: { ...(mode.config ?? {}) },
  };
}

export function listModes(): ModeSummary[] {
  return BUILTIN_MODES.map(summarizeMode);
}
