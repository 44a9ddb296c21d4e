/**
 * One project as `peers status` shows it: the reconciled run status (podman and the state dir, or
 * the cluster: project-status.ts) and, when there is a run, the read model of its state directory
 * (src/report/run-summary.ts). `status`, `status --watch` and the dashboard all show this one view,
 * so the dashboard's data is exactly `status --json`.
 */
import { existsSync } from 'node:fs';
import { fileThere } from '../src/fs/file-there.ts';
import { join } from 'node:path';
import type { RunSummary } from '../src/report/run-summary.ts';
import type { statusJson } from '../src/report/status-text.ts';
import { statePaths } from '../src/state/paths.ts';
import { projectStatus, type ProjectStatus } from './project-status.ts';
import type { ProjectEntry } from '../sandbox/registry.ts';
import { statusRow, stopWords } from '../sandbox/status-view.ts';
import { formatDegraded } from '../src/loop/pod-health.ts';
import { shellCommand } from '../src/cli/shell-word.ts';
import { runUsdWords } from '../src/budget/spend-view.ts';

/** `run`: what `status` says of the run (src/report/status-text.ts), as of when it was read. */
export type ProjectView = { project: ProjectStatus; summary?: RunSummary; run?: { json: ReturnType<typeof statusJson>; text: string } };

/** A state directory this user cannot read (left by `sudo peers up`) is named, never shown as "fresh" (file-there.ts). */
const RUN_STATE = { what: 'run state', hint: 'check the state directory `peers status --json` names (state_dir)' };

/**
 * `stateDir`: an explicit state directory (`--state-dir`): a run must be there, unless
 * `mayBeFresh` (a watch may start before the run's first state is written).
 */
export async function readProjectView(entry: ProjectEntry, env: NodeJS.ProcessEnv = process.env, stateDir?: string, mayBeFresh = false): Promise<ProjectView> {
  const project = await projectStatus(entry, env, stateDir);
  // An explicit --state-dir without a run in it is a wrong path, not a fresh project.
  const hasRun = Boolean(project.stateDir) && (fileThere(statePaths(project.stateDir).state, RUN_STATE) || (stateDir !== undefined && !mayBeFresh));
  if (!hasRun) return { project };
  // The state files' reader (and their schemas) and what is said of a run are loaded only for a project with a run.
  const [{ readRunSummary }, text] = await Promise.all([import('../src/report/run-summary.ts'), import('../src/report/status-text.ts')]);
  const summary = readRunSummary(project.stateDir);
  const now = Date.now();
  return { project, summary, run: { json: text.statusJson(summary, now), text: text.formatStatus(summary, now) } };
}

/** The JSON of `peers status --json` (and of each project on the dashboard). */
export function projectJson(v: ProjectView) {
  const head = statusRow(v.project);
  return v.run ? { ...v.run.json, ...head } : { ...head, state_dir: v.project.stateDir, last_stop: null, current_turn: null };
}

/** The text of `peers status` (and of each `status --watch` frame); `results`: where the run's commits are. */
export function projectText(v: ProjectView, results?: string): string[] {
  const p = v.project;
  return [
    `Project: ${p.name} (${p.path})`,
    `Status: ${p.status}${p.degraded.length ? ` (${formatDegraded(p.degraded)}: the run holds until \`peers up\` restarts ${p.degraded.length > 1 ? 'them' : 'it'})` : stopWords(p)}`,
    // A container that exits on its own (a bad argument, a missing credential) stops again after
    // `peers up` restarts it: why it stopped is said here, where the user looks first.
    ...(p.downBecause ?? []).map((d) => `  ${d.role} stopped: ${d.why}`),
    `Spend: ${runUsdWords(p.spend.usd, p.spend.rehearsal, 4)}, ${p.spend.tokens} tokens`,
    openGatesLine(v),
    ...(results ? [results] : []),
    ...(v.run ? v.run.text.split('\n') : [noRunYet(p)]),
  ];
}

/**
 * The open gates, or, when the goals file does not validate, that they are unknown and why: never
 * "all green" for gates that cannot be read (fail closed; `peers verify` and `peers up` refuse it too).
 */
function openGatesLine(v: ProjectView): string {
  const p = v.project;
  if (p.openGates === null) return `Open gates: UNKNOWN: the goals file does not validate (nothing here is green until it does):\n  ${(p.goalsError ?? '').split('\n').join('\n  ')}\n  fix it, then \`peers verify\` checks it`;
  if (!p.openGates.length) return `Open gates: ${v.run || setUp(p) ? 'none (all green)' : 'none: no goals yet'}`;
  // Open because no measurement says yet, not because red: told apart, so the first minutes of a
  // run (its gates measured before the first turn) do not read as every gate failing.
  const red = p.openGates.filter((id) => !p.unmeasured.includes(id));
  const unmeasured = p.openGates.filter((id) => p.unmeasured.includes(id));
  const when = p.status === 'running' ? 'the loop measures them before its next turn' : `\`${shellCommand('peers', 'verify', p.path)}\` measures them now`;
  return `Open gates: ${[...(red.length ? [red.join(', ')] : []), ...(unmeasured.length ? [`not measured yet: ${unmeasured.join(', ')} (${when})`] : [])].join('; ')}`;
}

/** Whether the project has its control plane (.peers/): `peers init` has run there. */
const setUp = (p: ProjectStatus): boolean => existsSync(join(p.path, '.peers'));

/** Said when the state dir has no state yet: a pod that is up has a loop about to write its first one. */
function noRunYet(p: ProjectStatus): string {
  if (p.status === 'running') return `The run is starting: its loop has not saved a first state yet (follow it: \`peers logs ${p.name} -f\`)`;
  if (!setUp(p)) return `Not set up for peers: run \`${shellCommand('peers', 'init', p.path)}\` first (it proposes the gates), then \`peers up\``;
  return `No run yet: start one with \`${shellCommand('peers', 'up', p.path)}\``;
}
