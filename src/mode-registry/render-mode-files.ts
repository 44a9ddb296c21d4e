/**
 * The control files a mode stack installs: goals.yaml (the gates `peers init` proposes from the
 * project, then each mode's goals with their `{{…}}` values filled in) and the mode's settings in
 * config.yaml. Pure text in, text out, checked by the same schemas the loop loads them with.
 */
import { stringify } from 'yaml';
import type { ProjectProposal } from '../config/detect-project.ts';
import { fillGoal, mergeModeGoals, type RawGoal } from './compose.ts';
import type { BuiltinMode } from './registry.ts';

export type GoalsRender = {
  modes: BuiltinMode[];
  proposal: ProjectProposal;
  /** Values of the `{{name}}` placeholders (lang, acceptance, pins, acked). */
  vars: Record<string, string>;
  /** Mode goals left out (a lint or type gate the project has no tool for). */
  omit: ReadonlySet<string>;
  /** Goals added after a given goal id (implement's e2e-pass after acceptance-pass). */
  insertAfter?: Record<string, RawGoal>;
};

const HEADER = (names: string) => `# yaml-language-server: $schema=./schema/goals.schema.json
#
# The goal program of mode${names.includes(',') ? 's' : ''} ${names}, written by \`peers init --modes ${names}\`.
# \`peers modes list\` says what each mode adds; \`peers check <id>\` runs one gate by hand and says why it fails.
# A run converges only when every hard goal passes, the soft goals reach consensus, and a skeptic
# re-audit stays clean.
#
# WARNING: every \`cmd\` runs as \`sh -c\` with your user's privileges (inside the gates container
# during a run, on your machine for \`peers verify\`). Treat this file as code.

goals:`;

function goalBlock(goal: RawGoal): string[] {
  return stringify([goal], { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`);
}

export function renderModeGoals(r: GoalsRender): string {
  const names = r.modes.map((m) => m.name).join(',');
  const merged = mergeModeGoals(r.modes);
  const modeIds = new Set(merged.flatMap((m) => m.goals.map((g) => g.id)).filter((id) => !r.omit.has(id)));
  const lines: string[] = [HEADER(names)];
  if (r.modes.some((m) => m.projectGates)) {
    // The project's own typecheck gate is audit's type-clean when that is installed.
    const gates = r.proposal.gates.filter((g) => !modeIds.has(g.id) && !(g.id === 'typecheck' && modeIds.has('type-clean')));
    if (gates.length) {
      lines.push('  # Proposed by `peers init` from what it found in the project; `peers verify` should pass on a green repository.');
      for (const { why, id, ...rest } of gates) lines.push('', `  # From ${why}.`, ...goalBlock({ id, type: 'hard', ...rest }));
      lines.push('');
    }
  }
  for (const { mode, goals } of merged) {
    const kept = goals.filter((g) => !r.omit.has(g.id));
    if (!kept.length) continue;
    lines.push(`  # ---- mode ${mode} ----`);
    for (const g of kept) {
      lines.push('', ...goalBlock(fillGoal(g, r.vars)));
      const extra = r.insertAfter?.[g.id];
      if (extra) lines.push('', ...goalBlock(extra));
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** config.yaml with the modes' convergence settings and the list of modes applied. */
export function renderModeConfig(configText: string, modes: BuiltinMode[], overrides: { convergence_n?: number } = {}): string {
  let convergence: number | undefined;
  let healthy: boolean | undefined;
  for (const m of modes) {
    if (m.config?.convergence_n !== undefined) convergence = Math.max(convergence ?? 0, m.config.convergence_n);
    if (m.config?.require_healthy_peers) healthy = true;
  }
  if (overrides.convergence_n !== undefined) convergence = overrides.convergence_n;
  const names = modes.map((m) => m.name);
  const lines = configText.split('\n').map((line) => {
    if (convergence !== undefined && /^ {2}convergence_n:/.test(line)) return `  convergence_n: ${convergence}               # set by mode${names.length > 1 ? 's' : ''} ${names.join(',')}`;
    if (healthy && /^ {2}require_healthy_peers:/.test(line)) return '  require_healthy_peers: true    # set by mode thorough: no convergence while a peer is degraded or down';
    return line;
  });
  return `${lines.join('\n').trimEnd()}\n\n# The modes this goal program came from (\`peers modes list\`).\nmodes: [${names.join(', ')}]\n`;
}
