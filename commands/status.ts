import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { projectDirFrom } from '../src/config/load.ts';
import { formatStatus, readRunSummary, statusJson } from '../src/loop/run-summary.ts';
import { statePaths } from '../src/state/paths.ts';
import { projectStatus } from '../sandbox/reconcile.ts';
import { listProjects } from '../sandbox/registry.ts';
import { statusRow } from '../sandbox/status-view.ts';
import { describePublish } from '../sandbox/publish-branch.ts';
import { publishIfRun } from '../sandbox/up.ts';
import { BaseCommand } from './base.ts';

export default class Status extends BaseCommand {
  static override description = `Show where a run stands: fresh, running, stopped or crashed (reconciled with podman), tick,
spend, open gates; then whose turn it is, peer health, budget spent against caps, gate diagnostics and why it last stopped.`;
  static override enableJsonFlag = true;
  static override args = { project: Args.string({ description: 'Registered project name (peers ls) or repository path (default: the current directory).' }) };
  static override flags = { 'state-dir': Flags.string({ description: 'State directory (default: $PEERS_STATE_DIR or $XDG_STATE_HOME/peers/<project>).' }) };
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status app', '<%= config.bin %> status ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    const target = args.project;
    let dir: string;
    if (target && !target.includes('/') && !existsSync(target)) {
      const named = listProjects().filter((p) => p.name === target);
      if (!named.length) throw new InputError(`no project named '${target}' and no such directory`, { hint: 'run `peers ls` to see registered projects, or pass a path' });
      // Entries `peers init` wrote carry no name of their own, so two repositories may share a basename.
      if (named.length > 1) throw new InputError(`${named.length} projects are named '${target}': ${named.map((p) => p.path).join(', ')}`, { hint: 'pass the path instead' });
      dir = named[0]!.path;
    } else {
      dir = projectDirFrom(target ?? process.cwd());
    }
    const entry = listProjects().find((p) => p.path === dir) ?? { path: dir, registered_at: '', name: dir };
    const project = await projectStatus(entry, process.env, flags['state-dir'] ? resolve(flags['state-dir']) : undefined);
    const head = statusRow(project);
    // An explicit --state-dir without a run in it is a wrong path, not a fresh project.
    const hasRun = existsSync(statePaths(project.stateDir).state) || flags['state-dir'] !== undefined;
    const summary = hasRun ? readRunSummary(project.stateDir) : undefined;
    // The run's commits reach the user's repository here too (the pod cannot write it).
    const results = publishIfRun(project.path, project.stateDir);
    if (!this.jsonEnabled()) {
      this.log(`Project: ${project.name} (${project.path})`);
      this.log(`Status: ${project.status}${project.stopReason ? ` (${project.stopReason})` : ''}`);
      this.log(`Spend: $${project.spend.usd.toFixed(4)}, ${project.spend.tokens} tokens`);
      this.log(`Open gates: ${project.openGates.length ? project.openGates.join(', ') : 'none (all green)'}`);
      if (results) this.log(describePublish(results));
      this.log(summary ? formatStatus(summary) : `No run yet: start one with \`peers up ${project.path}\``);
    }
    return summary ? { ...statusJson(summary), ...head, results: results ?? null } : { ...head, state_dir: project.stateDir, last_stop: null, results: results ?? null };
  }
}
