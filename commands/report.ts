import { Args, Flags } from '@oclif/core';
import { basename, resolve } from 'node:path';
import { projectDirFrom } from '../src/config/load.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { readRunSummary, statusJson } from '../src/loop/run-summary.ts';
import { reportMarkdown } from '../src/loop/run-report.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { targetOfRepo } from '../sandbox/k8s/target.ts';
import { BaseCommand } from './base.ts';

export default class Report extends BaseCommand {
  static override description = 'Summarise a run in Markdown (outcome, budget, peers, gates, tick history, stops); printed and saved as REPORT.md in the state directory.';
  static override enableJsonFlag = true;
  static override args = { path: Args.string({ description: 'Project repository (default: the current directory).' }) };
  static override flags = { 'state-dir': Flags.string({ description: 'State directory (default: $PEERS_STATE_DIR or $XDG_STATE_HOME/peers/<project>).' }) };
  static override examples = ['<%= config.bin %> report', '<%= config.bin %> report ~/src/app --json'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Report);
    const repo = projectDirFrom(args.path ?? process.cwd());
    const dir = flags['state-dir'] ? resolve(flags['state-dir']) : stateDirFor(repo);
    // A run on Kubernetes: its state and its commits come home first, then the same report.
    const results = !flags['state-dir'] && targetOfRepo(repo) ? await (await import('../sandbox/k8s/k8s-report.ts')).refreshFromCluster(repo) : undefined;
    const summary = readRunSummary(dir);
    const markdown = reportMarkdown(summary, basename(repo));
    writeFileAtomic(summary.paths.report, markdown);
    if (!this.jsonEnabled()) process.stdout.write(markdown);
    if (results && !this.jsonEnabled()) process.stderr.write(`${results}\n`);
    return { report_path: summary.paths.report, markdown, status: statusJson(summary), ticks: summary.ticks.length, stops: summary.exits };
  }
}
