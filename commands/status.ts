import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { projectJson, projectText, readProjectView } from '../apps/project-view.ts';
import { watchStatus } from '../apps/watch/status-watch.ts';
import { catchUpNotifications } from '../src/notify/notify-watch.ts';
import { notifyStatusLine } from '../src/notify/notify-store.ts';
import { listProjects } from '../sandbox/registry.ts';
import { listArchives } from '../src/state/run-archive.ts';
import { describePublish } from '../sandbox/publish-branch.ts';
import { publishIfRun } from '../sandbox/up.ts';
import { archivedRunJson } from '../src/cli/json-output/snake-case.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { stateDirFlag } from './run-flags.ts';
import { BaseCommand } from './base.ts';

export default class Status extends BaseCommand {
  static override summary = 'Show where a run stands: state, tick, spend, gates, whose turn it is.';
  static override description = `Show where a run stands: fresh, running, stopped or crashed (reconciled with podman), tick,
spend, open gates; then whose turn it is, peer health, budget spent against caps, gate diagnostics and why it last stopped.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = {
    ...projectDirFlag(),
    ...stateDirFlag(),
    watch: Flags.boolean({ char: 'w', description: 'Redraw the status as the run goes (who is working and on what, spend, gates) until it stops or Ctrl-C.' }),
    interval: Flags.integer({ min: 1, default: 2, description: 'Seconds between redraws with --watch.' }),
  };
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status app --watch', '<%= config.bin %> status ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    // A registered name or a path in a git repository; anything else (a plain directory, a file) is exit 2.
    const dir = projectFrom(args.project, flags.dir, this.io);
    const entry = listProjects(this.io.env).find((p) => p.path === dir) ?? { path: dir, registered_at: '', name: dir };
    const stateDir = flags['state-dir'] ? resolve(this.io.cwd, flags['state-dir']) : undefined;
    if (flags.watch) {
      // The watch prints its own frames (or JSON lines) as it goes; what is left is its exit code.
      return this.exitWith(await watchStatus({ read: () => readProjectView(entry, this.io.env, stateDir, true), intervalMs: flags.interval * 1000, json: this.jsonEnabled(), out: this.io.stdout, signals: this.io.signals }), undefined);
    }
    const view = await readProjectView(entry, this.io.env, stateDir);
    // The run's commits reach the user's repository here too (the pod cannot write it).
    const results = publishIfRun(view.project.path, view.project.stateDir);
    if (view.summary) await catchUpNotifications(view.project.stateDir);
    const notified = view.summary ? notifyStatusLine(view.project.stateDir) : undefined;
    // Runs archived by `peers up --fresh` / `peers reset`, oldest first.
    const archives = view.project.stateDir ? listArchives(view.project.stateDir) : [];
    const archiveLines = archives.length
      ? ['Earlier runs (archived, oldest first; read one with peers report --state-dir DIR):', ...archives.map((a) => `  ${a.stopReason ?? 'no stop reason'}, tick ${a.tick ?? '-'}, $${(a.spentUsd ?? 0).toFixed(2)}: ${a.path}`)]
      : [];
    if (!this.jsonEnabled()) this.log([...projectText(view, results ? describePublish(results) : undefined), ...(notified ? [notified] : []), ...archiveLines].join('\n'));
    return { ...projectJson(view), results: results ?? null, archives: archives.map(archivedRunJson) };
  }
}
