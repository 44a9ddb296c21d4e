/** PLAN.md as committed at a commit, parsed and validated (src/mode-registry/plan), or why not. */
import { formatPlanIssues, parsePlan } from '../../../src/mode-registry/plan/plan-parse.ts';
import type { Plan } from '../../../src/mode-registry/plan/plan-schema.ts';
import type { CheckRepo } from '../check-repo.ts';

export const PLAN_FILE = 'PLAN.md';

export function planAt(repo: CheckRepo, sha: string): Plan | { error: string } {
  const text = repo.fileAt(sha, PLAN_FILE);
  if (text === undefined) return { error: `${PLAN_FILE} is not committed at ${sha.slice(0, 8)}` };
  const r = parsePlan(text);
  return r.ok ? r.plan : { error: `${PLAN_FILE} does not validate:\n${formatPlanIssues(PLAN_FILE, r.issues).split('\n').map((l) => `  ${l}`).join('\n')}` };
}
