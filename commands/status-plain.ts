/**
 * `peers status`: its flags (plain data, src/cli/role-flags.ts) and what it does with them. status.ts
 * is its oclif command (help, the project argument, every error); src/main.ts runs a plain command
 * line without loading oclif (plain-commands.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectJson, projectText, readProjectView } from '../apps/project-view.ts';
import { listProjects } from '../sandbox/registry.ts';
import { archiveRootFor, hasRunClone, statePaths } from '../src/state/paths.ts';
import { archivedRunJson } from '../src/cli/json-output/snake-case.ts';
import { exitWith, type CommandOutput } from '../src/cli/json-output/command-output.ts';
import type { FlagSpecs, FlagValues } from '../src/cli/role-flags.ts';
import { PROJECT_DIR_FLAGS, STATE_DIR_FLAGS, assertStateDirExists, projectFrom, stateDirOf } from './project-flags.ts';
import { MAX_TIMER_S } from '../src/proc/timer-limit.ts';
import { runUsdWords } from '../src/budget/spend-view.ts';
import { wasRehearsal } from '../src/budget/budget-policy-file.ts';

export const STATUS_FLAGS = {
  ...PROJECT_DIR_FLAGS,
  ...STATE_DIR_FLAGS,
  watch: { kind: 'boolean', char: 'w', description: 'Redraw the status as the run goes (who is working and on what, spend, gates) until it stops or Ctrl-C.' },
  interval: { kind: 'integer', min: 1, max: MAX_TIMER_S, default: 2, description: 'Seconds between redraws with --watch.' },
} as const satisfies FlagSpecs;

export async function runStatus(project: string | undefined, flags: FlagValues<typeof STATUS_FLAGS>, out: CommandOutput): Promise<unknown> {
  const { io } = out;
  // A registered name or a path in a git repository; anything else (a plain directory, a file) is exit 2.
  const dir = projectFrom(project, flags.dir, io);
  const entry = listProjects(io.env).find((p) => p.path === dir) ?? { path: dir, registered_at: '', name: dir };
  const stateDir = stateDirOf(flags['state-dir'], io.cwd);
  if (!flags.watch) assertStateDirExists(stateDir);
  if (flags.watch) {
    // The watch prints its own frames (or JSON lines) as it goes; what is left is its exit code.
    const { watchStatus } = await import('../apps/watch/status-watch.ts');
    return exitWith(await watchStatus({ read: () => readProjectView(entry, io.env, stateDir, true), intervalMs: flags.interval * 1000, json: out.json, out: io.stdout, signals: io.signals }), undefined);
  }
  const view = await readProjectView(entry, io.env, stateDir);
  // The run's commits reach the user's repository here too (the pod cannot write it).
  const publish = view.project.stateDir && hasRunClone(statePaths(view.project.stateDir)) ? await import('../sandbox/publish-if-run.ts') : undefined;
  const results = publish?.publishIfRun(view.project.path, view.project.stateDir);
  // A run may have notifications due (the notifier catches up here too); a project without one has none.
  let notified: string | undefined;
  if (view.summary) {
    await (await import('../src/notify/notify-watch.ts')).catchUpNotifications(view.project.stateDir);
    notified = (await import('../src/notify/notify-store.ts')).notifyStatusLine(view.project.stateDir);
  }
  // Runs archived by `peers up --fresh` / `peers reset`, oldest first.
  const archives = view.project.stateDir && existsSync(archiveRootFor(view.project.stateDir)) ? (await import('../src/state/run-archive.ts')).listArchives(view.project.stateDir) : [];
  const archiveLines = archives.length
    ? ['Earlier runs (archived, oldest first; read one with peers report --state-dir DIR):', ...archives.map((a) => `  ${a.stopReason ?? 'no stop reason'}, tick ${a.tick ?? '-'}, ${runUsdWords(a.spentUsd ?? 0, wasRehearsal(a.path))}: ${a.path}`)]
    : [];
  out.log([...projectText(view, results ? publish!.describePublish(results) : undefined), ...(notified ? [notified] : []), ...archiveLines].join('\n'));
  const result = { ...projectJson(view), results: results ?? null, archives: archives.map(archivedRunJson) };
  // A goals file that does not validate: status said all it knows, and fails as `peers verify` does (exit 2).
  return exitWith(view.project.goalsError ? 2 : 0, result);
}
