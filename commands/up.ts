import { Args, Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { planPod, resolveProjectDir, up } from '../sandbox/up.ts';
import { listProjects } from '../sandbox/registry.ts';
import { shellQuote } from '../src/proc/self-exec.ts';
import { BaseCommand } from './base.ts';

/** A project whose run is on a cluster is not started on podman as well (one run per project). */
async function refuseK8sProject(repo: string): Promise<void> {
  const entry = listProjects().find((p) => p.path === repo);
  if (entry?.kubernetes === undefined) return;
  const { k8sTargetOf } = await import('../sandbox/k8s/target.ts');
  const t = k8sTargetOf(entry);
  throw new InputError(`this project's run is on Kubernetes (namespace ${t?.namespace})`, { hint: 'peers down first (add --purge to drop its state there), or peers up --target k8s to resume it' });
}

export default class Up extends BaseCommand {
  static override description = `Start an unattended run of a project inside a rootless podman pod, and return.

The pod has no network but loopback: peers reach the internet only through the egress allow-list
proxy, credentials live only in the auth sidecar, and the run state stays outside the repository.
Running it again on a running project says so; after \`peers down\` it resumes from the saved tick.`;
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
    'dry-run': Flags.string({ options: ['podman', 'k8s'], description: 'Print the pod (podman commands, or Kubernetes YAML) instead of starting it.' }),
    target: Flags.string({ options: ['podman', 'k8s'], default: 'podman', description: 'Where the run goes: a rootless podman pod on this machine, or a Kubernetes cluster (README: Running on Kubernetes).' }),
    context: Flags.string({ description: 'k8s: the kubeconfig context (default: kubernetes.context, else the current one).' }),
    namespace: Flags.string({ description: 'k8s: the namespace (default: kubernetes.namespace, else peers-<project>, created).' }),
    registry: Flags.string({ description: 'k8s: where `peers image build --push REGISTRY` pushed the peers image (default: kubernetes.registry).' }),
  };
  static override examples = ['<%= config.bin %> up', '<%= config.bin %> up ~/src/app --max-ticks 20 --max-usd 10', '<%= config.bin %> up app --allow registry.npmjs.org --attach', '<%= config.bin %> up --target k8s --registry registry.example.com/team', '<%= config.bin %> up --dry-run k8s --registry registry.example.com/team > run.yaml'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Up);
    let maxUsd: number | undefined;
    if (flags['max-usd'] !== undefined) {
      maxUsd = Number(flags['max-usd']);
      if (!Number.isFinite(maxUsd) || maxUsd <= 0) throw new InputError(`--max-usd must be a positive number, got ${flags['max-usd']}`);
    }
    const quiet = this.jsonEnabled();
    const k8s = flags.target === 'k8s' || flags['dry-run'] === 'k8s';
    const k8sTarget = { context: flags.context, namespace: flags.namespace, registry: flags.registry };
    if (!k8s && (flags.context || flags.namespace || flags.registry)) throw new InputError('--context, --namespace and --registry are for --target k8s');
    const common = { maxTicks: flags['max-ticks'], maxUsd, maxRuntimeS: flags['max-runtime'], allow: flags.allow ?? [], credentials: flags.credentials as 'api-key' | 'oauth-file' };
    if (flags['dry-run'] === 'k8s') {
      const [{ planK8s, k8sObjects }, { k8sYaml }] = await Promise.all([import('../sandbox/k8s/k8s-plan.ts'), import('../sandbox/k8s-render.ts')]);
      // No credential values: the Secret is created by `peers up --target k8s` from this shell's environment.
      const objects = k8sObjects(await planK8s(resolveProjectDir(args.project), { ...common, ...k8sTarget }), undefined);
      if (quiet) return { objects };
      this.log(k8sYaml(objects));
      return undefined;
    }
    if (flags['dry-run']) {
      const { plan } = await planPod(resolveProjectDir(args.project), common);
      if (quiet) return plan;
      for (const argv of [plan.createPod, ...plan.createContainers.map((c) => c.argv)]) this.log(['podman', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' '));
      return undefined;
    }
    if (k8s) {
      const { upK8s } = await import('../sandbox/k8s/k8s-up.ts');
      const r = await upK8s({ target: args.project, ...common, ...k8sTarget, progress: (l) => quiet || process.stderr.write(`peers up: ${l}\n`) });
      if (!quiet) {
        this.log(r.alreadyRunning ? `${r.name} is already running (Pod ${r.pod} in ${r.namespace}).` : `${r.name} is running on ${r.context}: Pod ${r.pod} in namespace ${r.namespace} (${r.resumed ? 'resumed' : 'started'} in ${r.seconds.toFixed(1)} s).`);
        this.log(`  follow it:   peers logs ${r.name} -f\n  status:      peers status ${r.name}\n  stop it:     peers down ${r.name}`);
      }
      if (flags.attach && !quiet) {
        const { followK8sLogs } = await import('../sandbox/k8s/k8s-logs.ts');
        await followK8sLogs({ repo: resolveProjectDir(args.project), follow: true, egress: false });
      }
      return r;
    }
    await refuseK8sProject(resolveProjectDir(args.project));
    const r = await up({
      target: args.project,
      maxTicks: flags['max-ticks'],
      maxUsd,
      maxRuntimeS: flags['max-runtime'],
      allow: flags.allow ?? [],
      credentials: flags.credentials as 'api-key' | 'oauth-file',
      progress: (l) => quiet || process.stderr.write(`peers up: ${l}\n`),
    });
    if (!quiet) {
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
