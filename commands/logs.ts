import { Args, Flags } from '@oclif/core';
import { stateDirFor, projectKey } from '../src/state/paths.ts';
import { targetOfRepo } from '../sandbox/k8s/target.ts';
import { followLogs } from '../sandbox/logs.ts';
import { resolveProjectDir } from '../sandbox/up.ts';
import { BaseCommand } from './base.ts';

export default class Logs extends BaseCommand {
  static override description = "Show a project's loop output, or with --egress its egress audit log (every allowed and refused connection).";
  static override args = { project: Args.string({ description: 'Project path or registered name (default: the current directory).' }) };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'Keep following new output.' }),
    egress: Flags.boolean({ description: 'The egress audit log (JSONL) instead of the loop output.' }),
  };
  static override examples = ['<%= config.bin %> logs -f', '<%= config.bin %> logs app --egress'];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const repo = resolveProjectDir(args.project);
    if (targetOfRepo(repo)) {
      process.exitCode = await (await import('../sandbox/k8s/k8s-logs.ts')).followK8sLogs({ repo, follow: flags.follow, egress: flags.egress });
      return;
    }
    process.exitCode = await followLogs({ project: projectKey(repo), follow: flags.follow, egress: flags.egress, stateDir: stateDirFor(repo) });
  }
}
