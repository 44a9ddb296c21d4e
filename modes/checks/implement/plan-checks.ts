/**
 * The implement mode's gates over PLAN.md: complete (every step done, or blocked and acknowledged
 * by the operator), the original steps preserved word for word, and every done step traceable to
 * the commit that implemented it.
 */
import { baselineOrFail, describeBaseline } from '../baseline-or-fail.ts';
import { openCheckRepo } from '../check-repo.ts';
import type { Check, CheckResult } from '../types.ts';
import type { PlanStep } from '../../../src/mode-registry/plan/plan-schema.ts';
import { planAt, PLAN_FILE } from './plan-at.ts';

const fail = (report: string): CheckResult => ({ pass: false, report });

export const planComplete: Check = {
  description: 'PLAN.md parses and every step is [x], or [BLOCKED] and acknowledged by the operator (peers ack-block).',
  async run(repoDir, opts = {}) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return fail('plan-complete: no commits yet');
    const plan = planAt(repo, head);
    if ('error' in plan) return fail(`plan-complete: ${plan.error}`);
    const acked = new Set(opts.acked ?? []);
    const left: string[] = [];
    for (const s of plan.steps) {
      if (s.state === 'done') continue;
      if (s.state === 'blocked' && acked.has(s.id)) continue;
      const what = s.state === 'blocked' ? 'BLOCKED, not acknowledged: the operator decides with `peers ack-block ' + s.id + ' --reason …`' : s.state === 'partial' ? 'PARTIAL: not done yet' : 'open';
      left.push(`  ${PLAN_FILE}:${s.line}: ${s.id} ${s.text.slice(0, 60)} — ${what}`);
    }
    const ackedNote = acked.size ? ` (${[...acked].join(', ')} blocked, acknowledged by the operator)` : '';
    if (left.length === 0) return { pass: true, report: `plan-complete: all ${plan.steps.length} step(s) done${ackedNote}` };
    return fail([`plan-complete: ${left.length} of ${plan.steps.length} step(s) not done${ackedNote}:`, ...left].join('\n'));
  },
};

export const planOriginalPreserved: Check = {
  description: 'Every step of the plan the run started from is still in PLAN.md with its wording, files, flags and dependencies.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return fail('plan-original-preserved: no commits yet');
    const base = baselineOrFail(repo, 'plan-original-preserved');
    if ('pass' in base) return base;
    const original = planAt(repo, base.sha);
    if ('error' in original) return fail(`plan-original-preserved: the plan the run started from (${describeBaseline(base)}): ${original.error}`);
    const now = planAt(repo, head);
    if ('error' in now) return fail(`plan-original-preserved: ${now.error}`);
    const bad: string[] = [];
    for (const s of original.steps) {
      const t = now.steps.find((x) => x.id === s.id);
      if (!t) bad.push(`  ${s.id} "${s.text.slice(0, 60)}" was removed`);
      else if (t.text !== s.text) bad.push(`  ${PLAN_FILE}:${t.line}: ${s.id} was reworded from "${s.text.slice(0, 60)}" to "${t.text.slice(0, 60)}"`);
      if (t) for (const c of definitionChanges(s, t)) bad.push(`  ${PLAN_FILE}:${t.line}: ${s.id} changed its ${c.field} from "${c.was}" to "${c.now}"`);
    }
    if (bad.length === 0) return { pass: true, report: `plan-original-preserved: all ${original.steps.length} original step(s) kept as written` };
    return fail([`plan-original-preserved: the plan is the contract; only the operator changes it (start a new run with a new plan):`, ...bad].join('\n'));
  },
};

/**
 * What the plan's gates read of a step besides its wording: the files it touches (which commit may
 * be its commit, and who implemented it), its flags (a trivial or pure_documentation step needs no
 * touches) and its dependencies. The implementer rewrote "touches: src/log.js" of a step it never
 * built as "trivial: true" and checked it off naming the other peer's commit: every plan gate read
 * the step it wrote, and the run ended `complete` (SECURITY.md, "A peer cannot acknowledge its own
 * block or rewrite the plan").
 */
const DEFINITION = ['touches', 'depends', 'trivial', 'pure_refactor', 'pure_documentation', 'rationale'] as const;

export function definitionChanges(original: PlanStep, now: PlanStep): Array<{ field: string; was: string; now: string }> {
  const shown = (v: unknown) => (Array.isArray(v) ? [...v].sort().join(', ') || '(none)' : String(v ?? '(none)'));
  return DEFINITION.filter((f) => shown(original[f]) !== shown(now[f])).map((f) => ({ field: f, was: shown(original[f]), now: shown(now[f]) }));
}

/**
 * One commit is one step's: on a file two steps share, the checker checked off STEP-2, which nobody
 * built, naming the other peer's STEP-1 commit, and every plan gate passed (SECURITY.md, "A step is
 * done only when another peer checked it off"). A step implemented with another in one commit gets
 * a commit of its own, which its implementer's counterpart then reviews and checks off.
 */
export const planStepTraceable: Check = {
  description: 'Every [x] step names (sha) of a commit of this run that changes a file the step touches and is no other step\'s.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return fail('plan-step-traceable: no commits yet');
    const base = baselineOrFail(repo, 'plan-step-traceable');
    if ('pass' in base) return base;
    const plan = planAt(repo, head);
    if ('error' in plan) return fail(`plan-step-traceable: ${plan.error}`);
    const original = planAt(repo, base.sha);
    const doneAtStart = new Set('error' in original ? [] : original.steps.filter((s) => s.state === 'done').map((s) => s.id));
    const bad: string[] = [];
    let checked = 0;
    /** The step each implementing commit was first named by (full id), in the plan's order. */
    const namedBy = new Map<string, string>();
    for (const s of plan.steps) {
      if (s.state !== 'done' || doneAtStart.has(s.id)) continue;
      checked++;
      const where = `  ${PLAN_FILE}:${s.line}: ${s.id}`;
      if (!s.sha) {
        bad.push(`${where} is [x] without "(sha)" of its implementing commit`);
        continue;
      }
      const full = repo.git(['rev-parse', '--verify', '--quiet', `${s.sha}^{commit}`]).stdout.trim();
      if (!full) bad.push(`${where} names ${s.sha}, which is not a commit`);
      else if (!repo.isAncestor(full, head) || repo.isAncestor(full, base.sha)) bad.push(`${where} names ${s.sha}, which is not a commit of this run`);
      else if (s.touches.length && !repo.changedPaths(full).some((p) => s.touches.includes(p))) bad.push(`${where}: ${s.sha} changes none of ${s.touches.join(', ')}`);
      else if (namedBy.has(full)) bad.push(`${where} names ${s.sha}, the commit of ${namedBy.get(full)}: each step is implemented in a commit of its own`);
      if (full && !namedBy.has(full)) namedBy.set(full, s.id);
    }
    if (bad.length === 0) return { pass: true, report: `plan-step-traceable: ${checked} done step(s), each traced to its commit` };
    return fail(['plan-step-traceable:', ...bad].join('\n'));
  },
};
