import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { projectArg } from './project-target.ts';
import { BaseCommand } from './base.ts';
import { STATUS_FLAGS, runStatus } from './status-plain.ts';

export default class Status extends BaseCommand {
  static override summary = 'Show where a run stands: state, tick, spend, gates, whose turn it is.';
  static override description = `Show where a run stands: fresh, running, stopped or crashed (reconciled with podman), tick,
spend, open gates; then whose turn it is, peer health, budget spent against caps, gate diagnostics and why it last stopped.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = oclifFlags(STATUS_FLAGS);
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status app --watch', '<%= config.bin %> status ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    return runStatus(args.project, flags, this.output());
  }
}
