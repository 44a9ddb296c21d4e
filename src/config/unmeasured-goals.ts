/**
 * A goals file without a hard goal (emptied, or only soft goals) measures nothing: a run would
 * "complete" on the peers' word alone, which is what peers exists to prevent. `peers up` warns
 * with this; `peers verify` fails with it (a pass of zero gates says nothing about the work).
 */
export function noHardGoalWarning(goals: { goals: { type: string }[] }, goalsPath: string): string | null {
  if (goals.goals.some((g) => g.type === 'hard')) return null;
  return `${goalsPath}: no hard goal: nothing measures the work, so a run would end \`complete\` on the peers' word alone; add the gates that say "done" (tests, typecheck; \`peers init --force\` proposes them from the project, rewriting .peers/)`;
}
