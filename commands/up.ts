import { Args, Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { renderK8s } from '../sandbox/k8s-render.ts';
import { planPod, resolveProjectDir, up } from '../sandbox/up.ts';
import { shellQuote } from '../src/proc/self-exec.ts';
import { describePolicy } from '../src/budget/budget-policy.ts';
import { BaseCommand } from './base.ts';

export default class Up extends BaseCommand {
  static override description = `Start an unattended run of a project inside a rootless podman pod, and return.

The peers work on their own clone of your HEAD (in the state dir), never on your repository:
uncommitted changes are not in the run (up lists them), and the run's commits come back as the
branch peers/<project> (git log / git merge it). The pod has no network but loopback: peers reach
the internet only through the egress allow-list proxy, and credentials live only in the auth
sidecar. A .peers/ changed since the last run is shown as a diff and refused without
--accept-changes. Running it again on a running project says so; after \`peers down\` it resumes
from the saved tick, on the same clone.`;
  static override enableJsonFlag = true;
  static override args = { project: Args.string({ description: 'Project path or registered name (default: the current directory).' }) };
  static override flags = {
    'max-ticks': Flags.integer({ min: 1, description: 'Stop after this many ticks.' }),
    'max-usd': Flags.string({ description: 'Spending cap in US dollars.' }),
    'max-runtime': Flags.integer({ min: 1, description: 'Runtime cap in seconds.' }),
    allow: Flags.string({ multiple: true, description: 'Extra egress allow-list entry (host, *.suffix, optional :port).' }),
    attach: Flags.boolean({ description: 'Follow the loop log after starting (Ctrl-C detaches; the run continues).' }),
    credentials: Flags.string({
      options: ['api-key', 'oauth-file'],
      default: 'api-key',
      description: 'api-key: ANTHROPIC_API_KEY/OPENAI_API_KEY from this shell. oauth-file: your claude/codex login files (opt-in; mounted into the auth sidecar only).',
    }),
    'clone-only': Flags.boolean({ hidden: true, description: 'Prepare the run (control-plane snapshot, fingerprint, run clone, results branch) and stop before starting the pod.' }),
    'accept-changes': Flags.boolean({ description: 'Adopt a .peers/ that changed since the last run (refused otherwise, with the diff).' }),
    'dry-run': Flags.string({ options: ['podman', 'k8s'], description: 'Print the pod (podman commands, or Kubernetes YAML) instead of starting it.' }),
  };
  static override examples = ['<%= config.bin %> up', '<%= config.bin %> up ~/src/app --max-ticks 20 --max-usd 10', '<%= config.bin %> up app --allow registry.npmjs.org --attach', '<%= config.bin %> up --dry-run k8s > pod.yaml'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Up);
    let maxUsd: number | undefined;
    if (flags['max-usd'] !== undefined) {
      maxUsd = Number(flags['max-usd']);
      if (!Number.isFinite(maxUsd) || maxUsd <= 0) throw new InputError(`--max-usd must be a positive number, got ${flags['max-usd']}`);
    }
    const quiet = this.jsonEnabled();
    if (flags['dry-run']) {
      const { spec, plan, budget } = await planPod(resolveProjectDir(args.project), { maxTicks: flags['max-ticks'], maxUsd, maxRuntimeS: flags['max-runtime'], allow: flags.allow ?? [], credentials: flags.credentials as 'api-key' | 'oauth-file' });
      if (quiet) return flags['dry-run'] === 'k8s' ? { yaml: renderK8s(spec), budget_policy: budget.policy } : { ...plan, budget_policy: budget.policy };
      // The policy `up` would write to the state dir for the loop and the auth sidecar to read.
      this.log(`# budget: ${describePolicy(budget.policy)} (up writes it to ${budget.hostPath})`);
      if (budget.warning) this.log(`# warning: ${budget.warning}`);
      if (flags['dry-run'] === 'k8s') this.log(renderK8s(spec));
      else for (const argv of [plan.createPod, ...plan.createContainers.map((c) => c.argv)]) this.log(['podman', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' '));
      return undefined;
    }
    const r = await up({
      target: args.project,
      maxTicks: flags['max-ticks'],
      maxUsd,
      maxRuntimeS: flags['max-runtime'],
      allow: flags.allow ?? [],
      credentials: flags.credentials as 'api-key' | 'oauth-file',
      acceptChanges: flags['accept-changes'],
      cloneOnly: flags['clone-only'],
      progress: (l) => quiet || process.stderr.write(`peers up: ${l}\n`),
    });
    if (!quiet) {
      if (flags['clone-only']) {
        this.log(`${r.name}: run clone ready at ${r.clone} (${r.seconds.toFixed(1)} s); the pod was not started.`);
        return r;
      }
      this.log(r.alreadyRunning ? `${r.name} is already running (pod ${r.pod}).` : `${r.name} is running in pod ${r.pod} (started in ${r.seconds.toFixed(1)} s).`);
      this.log(`  follow it:   peers logs ${r.name} -f\n  status:      peers ls\n  stop it:     peers down ${r.name}`);
    }
    if (flags.attach && !quiet) {
      const { followLogs } = await import('../sandbox/logs.ts');
      await followLogs({ project: r.project, follow: true, egress: false });
    }
    return r;
  }
}
