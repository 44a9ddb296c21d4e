import { Flags } from '@oclif/core';
import { down, downSummary } from '../sandbox/down.ts';
import { targetOfRepo } from '../sandbox/run-target.ts';
import { describePublish } from '../sandbox/publish-branch.ts';
import { snakeKeys } from '../src/cli/json-output/snake-case.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';
import { MAX_TIMER_S } from '../src/proc/timer-limit.ts';

export default class Down extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Stop a project\'s run and bring its commits home.';
  static override description = `Stop a project's run: the loop saves its state and stop reason, then the pod and the loop,
setup, gates and egress containers are removed. The run's commits are fetched into your repository as the
branch peers/<project> (results.branch in config.yaml), and your repository is checked against the
fingerprint \`peers up\` took (HEAD, index, config, hooks, .peers/): a run never writes it.
\`peers up\` resumes from the saved tick, on the same run clone.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = {
    ...projectDirFlag(),
    grace: Flags.integer({ min: 0, max: MAX_TIMER_S, default: 30, description: 'Seconds the loop gets to save its state before it is killed.' }),
    purge: Flags.boolean({ description: "Also delete the project's gate dependency cache (kept by default for the next up)." }),
  };
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down app --grace 60', '<%= config.bin %> down app --purge'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Down);
    const quiet = this.jsonEnabled();
    const progress = (l: string) => quiet || this.io.stderr.write(`peers down: ${l}
`);
    const repo = projectFrom(args.project, flags.dir, this.io);
    // A run on Kubernetes is stopped on its cluster (the client loads only for such a project).
    const r = targetOfRepo(repo, this.io.env)
      ? await (await import('../sandbox/k8s/k8s-down.ts')).downK8s({ repo, graceS: flags.grace, purge: flags.purge, progress, env: this.io.env })
      : await down({ target: repo, graceS: flags.grace, purge: flags.purge, progress, env: this.io.env });
    if (!quiet) {
      this.log(downSummary(r));
      if (r.results) this.log(`  ${describePublish(r.results)}`);
      if (r.interruptedTurn) this.log(`  ${r.interruptedTurn}`);
      this.log(`  ${r.repoCheck.line}`);
    }
    return { ...snakeKeys(r), repo_check: r.repoCheck };
  }
}
