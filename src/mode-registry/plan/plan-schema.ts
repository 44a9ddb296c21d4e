/**
 * The shape of PLAN.md, the input of implement mode, as zod schemas: the single source of the
 * plan's types, of its validation messages and of the rules between steps (ids 1..n in order,
 * dependencies known and acyclic, every step says which files it touches). plan-parse.ts turns the
 * Markdown into the raw object these schemas check, remembering each field's line.
 */
import { z } from 'zod';

export const SURFACES = ['cli', 'web', 'lib', 'gui', 'api'] as const;
export const STEP_STATES = ['open', 'done', 'partial', 'blocked'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** A repository path the plan names: relative, no `..`, no characters a shell would interpret. */
export const PLAN_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._@+\/-]+$/;
const planPath = z.string().regex(PLAN_PATH, 'must be a relative path of letters, digits and . _ @ + / - (no "..")');

export const PlanMetaSchema = z
  .object({
    surfaces: z.array(z.enum(SURFACES, { message: `each surface must be one of ${SURFACES.join(', ')}` })).min(1, 'surfaces needs at least one of cli, web, lib, gui, api'),
    acceptance: z.string().trim().min(1, 'acceptance must be the shell command that passes once the feature is done'),
    acceptance_files: z.array(planPath).default([]),
    e2e: z.string().trim().min(1).optional(),
    convergence_n: z.number({ message: 'convergence_n must be a whole number' }).int().positive().optional(),
    honesty_audit_peer: z.string().trim().min(1).optional(),
  })
  .catchall(z.string())
  .superRefine((m, ctx) => {
    if ((m.surfaces.includes('web') || m.surfaces.includes('gui')) && !m.e2e) {
      ctx.addIssue({ code: 'custom', path: ['e2e'], message: 'a web or gui surface needs an e2e: command (the end-to-end test that drives it)' });
    }
  });

export const PlanStepSchema = z.strictObject({
  id: z.string().regex(/^STEP-[1-9]\d*$/, 'step ids look like STEP-1, STEP-2, …'),
  state: z.enum(STEP_STATES),
  text: z.string().trim().min(1, 'a step needs a description after its id'),
  sha: z.string().regex(/^[0-9a-f]{7,40}$/).optional(),
  line: z.number().int().positive(),
  touches: z.array(planPath).default([]),
  depends: z.array(z.string().regex(/^STEP-[1-9]\d*$/, 'depends lists step ids like STEP-1')).default([]),
  rationale: z.string().optional(),
  trivial: z.boolean({ message: 'trivial must be true or false' }).default(false),
  pure_refactor: z.boolean({ message: 'pure_refactor must be true or false' }).default(false),
  pure_documentation: z.boolean({ message: 'pure_documentation must be true or false' }).default(false),
});

export const PlanSchema = z
  .strictObject({
    title: z.string().trim().min(1),
    meta: PlanMetaSchema,
    steps: z.array(PlanStepSchema).min(1, 'the Steps section needs at least one step: - [ ] [STEP-1] …'),
    architecture: z.array(z.string()).default([]),
    input_domains: z.array(z.string()).default([]),
  })
  .superRefine((plan, ctx) => {
    for (const r of stepRuleIssues(plan.steps)) ctx.addIssue({ code: 'custom', path: ['steps', r.index, r.field], message: r.message });
  });

export type StepRuleInput = { id: string; touches: string[]; depends: string[]; trivial: boolean; pure_documentation: boolean };
export type StepRuleIssue = { index: number; field: 'id' | 'touches' | 'depends'; message: string };

/** The rules between steps: ids 1..n in order, touches declared, dependencies known and acyclic. */
export function stepRuleIssues(steps: StepRuleInput[]): StepRuleIssue[] {
  const out: StepRuleIssue[] = [];
  const ids = steps.map((s) => s.id);
  steps.forEach((s, i) => {
    if (s.id !== `STEP-${i + 1}`) out.push({ index: i, field: 'id', message: `steps are numbered 1..n in order: expected STEP-${i + 1}, found ${s.id}` });
    if (s.touches.length === 0 && !s.trivial && !s.pure_documentation) {
      out.push({ index: i, field: 'touches', message: `${s.id} must list the files it touches (  - touches: src/a.ts, test/a.test.ts), or say trivial: true / pure_documentation: true` });
    }
    for (const d of s.depends) {
      if (d === s.id) out.push({ index: i, field: 'depends', message: `${s.id} depends on itself` });
      else if (!ids.includes(d)) out.push({ index: i, field: 'depends', message: `${s.id} depends on ${d}, which is not a step of this plan` });
    }
  });
  const cycle = dependencyCycle(steps);
  if (cycle) out.push({ index: steps.findIndex((s) => s.id === cycle[0]), field: 'depends', message: `dependency cycle: ${cycle.join(' -> ')}` });
  return out;
}

export type Plan = z.output<typeof PlanSchema>;
export type PlanStep = z.output<typeof PlanStepSchema>;

/** A cycle among known dependencies (as a path that returns to its start), or undefined. */
export function dependencyCycle(steps: Array<{ id: string; depends: string[] }>): string[] | undefined {
  const deps = new Map(steps.map((s) => [s.id, s.depends.filter((d) => d !== s.id && steps.some((t) => t.id === d))]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const d of deps.get(id) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return undefined;
}
