import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { projectDirFrom } from '../src/config/load.ts';
import { formatStatus, readRunSummary, statusJson } from '../src/loop/run-summary.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { BaseCommand } from './base.ts';

export default class Status extends BaseCommand {
  static override description = 'Show where a run stands: tick, whose turn, peer health, budget spent against caps, gates, whether the loop is running, and why it last stopped.';
  static override enableJsonFlag = true;
  static override args = { path: Args.string({ description: 'Project repository (default: the current directory).' }) };
  static override flags = { 'state-dir': Flags.string({ description: 'State directory (default: $PEERS_STATE_DIR or $XDG_STATE_HOME/peers/<project>).' }) };
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Status);
    const dir = flags['state-dir'] ? resolve(flags['state-dir']) : stateDirFor(projectDirFrom(args.path ?? process.cwd()));
    const summary = readRunSummary(dir);
    if (!this.jsonEnabled()) this.log(formatStatus(summary));
    return statusJson(summary);
  }
}
