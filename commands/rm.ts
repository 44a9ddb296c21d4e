import { Args } from '@oclif/core';
import { existsSync } from 'node:fs';
import { PeersError } from '../src/cli/errors.ts';
import { findEntry, removeEntry } from '../apps/housekeeping/remove-project.ts';
import { projectStatus } from '../apps/project-status.ts';
import { BaseCommand } from './base.ts';
import { refuseEmptyProject } from './project-flags.ts';

export default class Rm extends BaseCommand {
  static override summary = 'Remove a project from the registry (never its repository).';
  static override description = `Remove a project from the registry that peers ls, doctor and the dashboard read. Your repository is not touched, and the run's state directory (logs, reports, archived runs) is kept: its path is printed; \`peers prune\` removes old archived runs. Refused while the project's run is running (peers down first). \`peers up\` in the repository registers it again.`;
  static override enableJsonFlag = true;
  static override args = { project: Args.string({ description: 'Registered project name (peers ls) or its path.', required: true }) };
  static override examples = ['<%= config.bin %> rm app', '<%= config.bin %> rm ~/src/old-project --json'];

  async run(): Promise<unknown> {
    const { args } = await this.parse(Rm);
    refuseEmptyProject(args.project, 'argument');
    const entry = findEntry(args.project, this.io.env, this.io.cwd);
    const status = await projectStatus(entry, this.io.env);
    if (status.status === 'running') throw new PeersError(`${entry.name} is running; a running project stays registered`, { hint: `peers down ${entry.name}, then peers rm ${entry.name}` });
    const removed = await removeEntry(entry, this.io.env);
    const kept = Boolean(status.stateDir) && existsSync(status.stateDir);
    if (!this.jsonEnabled()) {
      this.log(removed ? `removed ${entry.name} (${entry.path}) from the registry; the repository is untouched` : `${entry.name} was already gone from the registry`);
      if (kept) this.log(`  its state directory is kept: ${status.stateDir}`);
    }
    return { name: entry.name ?? entry.path, path: entry.path, removed, state_dir: status.stateDir, state_dir_kept: kept };
  }
}
