/**
 * The files `peers init` writes, with what it found in the project filled in: the proposed gates
 * replace the never-passing placeholder goal, `setup:` and the egress allow-list are set for the
 * lockfile's package manager. With nothing found, the templates are written as they are.
 */
import { stringify } from 'yaml';
import type { ProjectProposal } from './detect-project.ts';

/** The lines of templates/ that a proposal replaces (the template tests check they exist). */
export const TEMPLATE_LINES = {
  placeholderStart: '  # Never passes, so a fresh project cannot converge on nothing. Replace it with your real gates',
  setup: '# setup: npm ci',
  allow: '  allow: []',
  requireHealthyPeers: '  require_healthy_peers: false   # true: no convergence while any peer is degraded or down',
} as const;

/** The never-passing goal of templates/goals.yaml, left by `peers init` when it recognised no test suite. */
export const PLACEHOLDER_GOAL_ID = 'placeholder-replace-me';

/**
 * What `peers up` says when that goal is still there: the run cannot complete, however well the
 * peers work, and a real run spends until a cap or the stuck-gate detector stops it.
 */
export function placeholderWarning(goals: { goals: { id: string; type: string }[] }, goalsPath: string): string | null {
  if (!goals.goals.some((g) => g.id === PLACEHOLDER_GOAL_ID && g.type === 'hard')) return null;
  return `${goalsPath}: the hard goal ${PLACEHOLDER_GOAL_ID} is still the placeholder \`peers init\` left (it found no test suite): it never passes, so this run cannot complete; replace it with your real gates (\`peers verify\` runs them) before a run you pay for`;
}

function replaceLine(text: string, line: string, by: string): string {
  const at = text.split('\n').indexOf(line);
  if (at < 0) throw new Error(`template line not found: ${line}`);
  const lines = text.split('\n');
  lines[at] = by;
  return lines.join('\n');
}

export function renderConfig(template: string, p: ProjectProposal): string {
  let text = template;
  if (p.setup) text = replaceLine(text, TEMPLATE_LINES.setup, `setup: ${JSON.stringify(p.setup)}   # proposed by peers init from the project's dependency files`);
  if (p.egress.length) text = replaceLine(text, TEMPLATE_LINES.allow, `  allow: ${JSON.stringify(p.egress)}   # what setup downloads from (proposed by peers init)`);
  // Prefixed monorepo suites (detect-project.ts): the stuck-gate detector watches them by name.
  if (p.stuckHaltGates) text = replaceLine(text, TEMPLATE_LINES.requireHealthyPeers, `${TEMPLATE_LINES.requireHealthyPeers}\n  stuck_halt_gates: ${JSON.stringify(p.stuckHaltGates)}   # one red goals.stuck_halt_after ticks in a row (default 5) stops the run as stuck:<gate> (proposed by peers init)`);
  return text;
}

export function renderGoals(template: string, p: ProjectProposal): string {
  if (!p.gates.length) return template;
  const lines = template.split('\n');
  const at = lines.indexOf(TEMPLATE_LINES.placeholderStart);
  if (at < 0) throw new Error('template placeholder goal not found');
  const block: string[] = ['  # Proposed by `peers init` from what it found in the project. Check them, then run', '  # `peers verify`: it should pass on a green repository.'];
  for (const { why, id, ...goal } of p.gates) {
    block.push('', `  # From ${why}.`);
    // Keys in the order every goal of this file uses: id, type, then the rest.
    const yaml = stringify([{ id, type: 'hard', ...goal }], { lineWidth: 0 });
    block.push(...yaml.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  return `${[...lines.slice(0, at), ...block].join('\n')}\n`;
}

/** config.yaml with its own results branch, for a project that is a linked git worktree (worktree-results-branch.ts). */
export function withResultsBranch(config: string, branch: string | undefined): string {
  if (!branch) return config;
  return `${config.trimEnd()}\n\n# This project is a git worktree: its results get a branch of their own, so they never mix with\n# another worktree's (written by peers init).\nresults:\n  branch: ${branch}\n`;
}
