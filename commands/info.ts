import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { projectArg } from './project-target.ts';
import { BaseCommand } from './base.ts';
import { INFO_FLAGS, runInfo } from './info-plain.ts';

export default class Info extends BaseCommand {
  static override summary = 'Show the resolved configuration: peers, goals and budget.';
  static override description =
    'Show the resolved configuration: each peer with the exact command it will run, the goals, the budget, and whether max_usd is enforced (and why) — as `peers up` decided it for the current run, or would decide it.';
  static override args = { project: projectArg() };
  static override examples = ['<%= config.bin %> info', '<%= config.bin %> info --json', '<%= config.bin %> info -C ~/src/my-project'];
  static override flags = oclifFlags(INFO_FLAGS);
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Info);
    return runInfo(args.project, flags, this.output());
  }
}
