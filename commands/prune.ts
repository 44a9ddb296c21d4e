import { Args, Flags } from '@oclif/core';
import { deleteArchive, parseAge, pruneCandidates } from '../apps/housekeeping/prune-archives.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { listProjects } from '../sandbox/registry.ts';
import { projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Prune extends BaseCommand {
  static override summary = "Delete old runs' archived logs and states.";
  static override description = `Delete archived runs (what \`peers reset\` and \`peers up --fresh\` keep beside the state directory: state, logs, prompts, usage ledger, run clone) archived longer ago than --older-than, for every registered project or the one named. The current run is never touched, nor your repository. --dry-run lists what would go.`;
  static override enableJsonFlag = true;
  static override args = { project: Args.string({ description: 'Only this project: registered name (peers ls) or a path in its repository (default: every registered project).' }) };
  static override flags = {
    ...projectDirFlag(),
    'older-than': Flags.string({ default: '30d', helpValue: 'AGE', description: 'Archived longer ago than this: 30d, 12h, 2w, 90m.' }),
    'dry-run': Flags.boolean({ description: 'List what would be deleted; delete nothing.' }),
  };
  static override examples = ['<%= config.bin %> prune --dry-run', '<%= config.bin %> prune --older-than 7d', '<%= config.bin %> prune app --older-than 0s --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Prune);
    const olderThanS = parseAge(flags['older-than']);
    const targets =
      args.project !== undefined || flags.dir !== undefined
        ? [projectFrom(args.project, flags.dir, this.io)].map((path) => ({ name: listProjects(this.io.env).find((p) => p.path === path)?.name ?? path, path }))
        : listProjects(this.io.env).map((p) => ({ name: p.name ?? p.path, path: p.path }));
    const now = new Date();
    const pruned = targets.flatMap((t) => pruneCandidates(t.name, stateDirFor(t.path, this.io.env), olderThanS, now));
    if (!flags['dry-run']) for (const c of pruned) deleteArchive(c);
    const bytes = pruned.reduce((s, c) => s + c.bytes, 0);
    if (!this.jsonEnabled()) {
      const verb = flags['dry-run'] ? 'would delete' : 'deleted';
      for (const c of pruned) this.log(`${verb} ${c.path} (${c.project}, archived ${c.archived_at}, ${(c.bytes / 1e6).toFixed(1)} MB)`);
      this.log(pruned.length ? `${verb} ${pruned.length} archived run(s), ${(bytes / 1e6).toFixed(1)} MB` : `no archived run older than ${flags['older-than']}`);
    }
    return { dry_run: flags['dry-run'] ?? false, older_than_s: olderThanS, pruned, bytes };
  }
}
