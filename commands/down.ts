import { Args, Flags } from '@oclif/core';
import { down } from '../sandbox/down.ts';
import { targetOfRepo } from '../sandbox/k8s/target.ts';
import { resolveProjectDir } from '../sandbox/up.ts';
import { BaseCommand } from './base.ts';

export default class Down extends BaseCommand {
  static override description = `Stop a project's run: the loop saves its state and stop reason, then the pod and the loop,
gates and egress containers are removed. Git hooks or hooksPath/fsmonitor settings planted during the run are
neutralised and listed. \`peers up\` resumes from the saved tick.`;
  static override enableJsonFlag = true;
  static override args = { project: Args.string({ description: 'Project path or registered name (default: the current directory).' }) };
  static override flags = {
    grace: Flags.integer({ min: 0, default: 30, description: 'Seconds the loop gets to save its state before it is killed.' }),
    purge: Flags.boolean({ description: "Also delete the project's gate dependency cache (kept by default for the next up)." }),
  };
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down app --grace 60', '<%= config.bin %> down app --purge'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Down);
    const quiet = this.jsonEnabled();
    const progress = (l: string) => quiet || process.stderr.write(`peers down: ${l}\n`);
    const repo = resolveProjectDir(args.project);
    // A run on Kubernetes is stopped on its cluster (the client loads only for such a project).
    const r = targetOfRepo(repo)
      ? await (await import('../sandbox/k8s/k8s-down.ts')).downK8s({ repo, graceS: flags.grace, purge: flags.purge, progress })
      : await down({ target: args.project, graceS: flags.grace, purge: flags.purge, progress });
    if (!quiet) {
      this.log(r.wasRunning ? `stopped ${r.path} in ${r.seconds.toFixed(1)} s (stop reason: ${r.stopReason ?? 'none recorded'})` : `${r.path} was not running; nothing left behind`);
      for (const a of r.gitActions) this.log(`  ${a}`);
    }
    return r;
  }
}
