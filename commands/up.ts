import { Flags } from '@oclif/core';
import { assertAllowFlags } from '../src/config/egress-entry.ts';
import { InputError } from '../src/cli/errors.ts';
import { parseRuntimeChange } from '../src/loop/runtime-change.ts';
import { planPod } from '../sandbox/pod-plan.ts';
import { rehearsalDir } from '../sandbox/rehearsal.ts';
import { describeReset } from '../sandbox/reset.ts';
import { up } from '../sandbox/up.ts';
import { publishIfRun } from '../sandbox/publish-if-run.ts';
import { describePublish } from '../sandbox/publish-branch.ts';
import { listProjects } from '../sandbox/registry.ts';
import { shellQuote } from '../src/proc/self-exec.ts';
import { describePolicy } from '../src/budget/budget-policy-file.ts';
import { stateDirFor } from '../src/state/paths.ts';
import { archivedRunJson, snakeKeys } from '../src/cli/json-output/snake-case.ts';
import type { UpResult } from '../sandbox/up-options.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { loopStartFlags, maxTicksFlag, maxUsdFlag } from './run-flags.ts';
import { BaseCommand } from './base.ts';

/** A project whose run is on a cluster is not started on podman as well (one run per project). */
async function refuseK8sProject(repo: string, env: NodeJS.ProcessEnv): Promise<void> {
  const entry = listProjects(env).find((p) => p.path === repo);
  if (entry?.kubernetes === undefined) return;
  const { k8sTargetOf } = await import('../sandbox/run-target.ts');
  const t = k8sTargetOf(entry, env);
  throw new InputError(`this project's run is on Kubernetes (namespace ${t?.namespace})`, { hint: 'peers down first (add --purge to drop its state there), or peers up --target k8s to resume it' });
}

function upJson(r: UpResult) {
  return {
    ...snakeKeys(r),
    ...(r.finished ? { finished: snakeKeys(r.finished) } : {}),
    ...(r.archived !== undefined ? { archived: r.archived && archivedRunJson(r.archived) } : {}),
  };
}

export default class Up extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Start an unattended run of a project in a rootless podman pod.';
  static override description = `Start an unattended run of a project inside a rootless podman pod, and return.

The peers work on their own clone of your HEAD (in the state dir), never on your repository:
uncommitted changes are not in the run (up lists them), and the run's commits come back as the
branch peers/<project> (git log / git merge it). The pod has no network but loopback: peers reach
the internet only through the egress allow-list proxy, and credentials live only in the auth
sidecar. A .peers/ changed since the last run is shown as a diff and refused without
--accept-changes.

On a running project it says so (and --max-runtime +DURATION extends the running run). After
\`peers down\` or a crash it resumes from the saved tick, on the same clone. On a run that
finished (complete, blocked, a budget cap, stuck, every peer down) it says why it stopped and what
would continue it, and exits as the run did (0 for complete, else 1); --fresh archives it and
starts over from your HEAD.

--rehearse SCENARIO.yaml runs your own configuration in the pod against the scripted model server
(no vendor is reached and nothing is billed), to check a config before paying.`;
  static override enableJsonFlag = true;
  static override args = { project: projectArg() };
  static override flags = {
    ...projectDirFlag(),
    'max-ticks': maxTicksFlag(),
    'max-usd': maxUsdFlag(),
    'max-runtime': Flags.string({
      description: 'Runtime cap (peer turn time): seconds or a duration (8h, 1h30m); +DURATION extends the cap in force, also of a running run.',
      helpValue: '[+]DURATION',
    }),
    allow: Flags.string({ multiple: true, description: 'Extra egress allow-list entry (host, *.suffix, optional :port).' }),
    attach: Flags.boolean({ description: 'Follow the loop log after starting (Ctrl-C detaches; the run continues); exit as the run did.' }),
    fresh: Flags.boolean({ description: 'Start over from your current HEAD: the old run (state, clone, logs, ledger) is archived beside the state dir, nothing is deleted.' }),
    ...loopStartFlags(),
    rehearse: Flags.string({ helpValue: 'SCENARIO.yaml', description: 'Rehearse: the scripted model server (this scenario) is the only upstream; no vendor host is reachable, no credential enters the pod.' }),
    credentials: Flags.string({
      options: ['api-key', 'oauth-file'],
      default: 'api-key',
      description: 'api-key: ANTHROPIC_API_KEY/OPENAI_API_KEY from this shell. oauth-file: your claude/codex login files (opt-in; mounted into the auth sidecar only).',
    }),
    'clone-only': Flags.boolean({ hidden: true, description: 'Prepare the run (control-plane snapshot, fingerprint, run clone, results branch) and stop before starting the pod.' }),
    'accept-changes': Flags.boolean({ description: 'Adopt a .peers/ that changed since the last run (refused otherwise, with the diff).' }),
    'dry-run': Flags.string({ options: ['podman', 'k8s'], description: 'Print the pod (podman commands, or Kubernetes YAML) instead of starting it.' }),
    target: Flags.string({ options: ['podman', 'k8s'], default: 'podman', description: 'Where the run goes: a rootless podman pod on this machine, or a Kubernetes cluster (README: Running on Kubernetes).' }),
    context: Flags.string({ description: 'k8s: the kubeconfig context (default: kubernetes.context, else the current one).' }),
    namespace: Flags.string({ description: 'k8s: the namespace (default: kubernetes.namespace, else peers-<project>, created).' }),
    registry: Flags.string({ description: 'k8s: where `peers image build --push REGISTRY` pushed the peers image (default: kubernetes.registry).' }),
  };
  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up ~/src/app --max-ticks 20 --max-usd 10',
    '<%= config.bin %> up --rehearse rehearsal.yaml --attach',
    '<%= config.bin %> up --fresh',
    '<%= config.bin %> up --max-runtime +6h',
    '<%= config.bin %> up --reset-peer codex --no-skeptic',
    '<%= config.bin %> up app --allow registry.npmjs.org --attach',
    '<%= config.bin %> up --dry-run k8s > pod.yaml',
    '<%= config.bin %> up --target k8s --registry registry.example.com/team',
    '<%= config.bin %> up --dry-run k8s --registry registry.example.com/team > run.yaml',
  ];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Up);
    const target = projectFrom(args.project, flags.dir, this.io, { startsProject: true });
    const maxRuntime = flags['max-runtime'] === undefined ? undefined : parseRuntimeChange(flags['max-runtime']);
    const quiet = this.jsonEnabled();
    const k8s = flags.target === 'k8s' || flags['dry-run'] === 'k8s';
    const k8sTarget = { context: flags.context, namespace: flags.namespace, registry: flags.registry };
    if (!k8s && (flags.context || flags.namespace || flags.registry)) throw new InputError('--context, --namespace and --registry are for --target k8s');
    if (k8s) (await import('../sandbox/k8s/k8s-flags.ts')).refuseUnhonouredK8sFlags({ fresh: flags.fresh, cloneOnly: flags['clone-only'], maxRuntime: flags['max-runtime'], dryRun: flags['dry-run'], target: flags.target });
    assertAllowFlags(flags.allow ?? []);
    const common = {
      maxTicks: flags['max-ticks'],
      maxUsd: flags['max-usd'],
      allow: flags.allow ?? [],
      credentials: flags.credentials as 'api-key' | 'oauth-file',
      resetPeers: flags['reset-peer'] ?? [],
      noSkeptic: flags['no-skeptic'],
      noRecon: flags['no-recon'],
      noCodemap: flags['no-codemap'],
    };
    if (flags['dry-run'] === 'k8s') {
      const [{ planK8s, k8sObjects }, { k8sYaml }] = await Promise.all([import('../sandbox/k8s/k8s-plan.ts'), import('../sandbox/k8s/k8s-render.ts')]);
      const rehearse = flags.rehearse ? { upstream: 'model-server' as const } : {};
      // No credential values: the Secret is created by `peers up --target k8s` from this shell's environment.
      const plan = await planK8s(target, { ...common, ...rehearse, ...k8sTarget }, this.io.env);
      const objects = k8sObjects(plan, undefined);
      if (quiet) return { yaml: k8sYaml(objects), objects, budget_policy: plan.budget.policy };
      this.log(`# budget: ${describePolicy(plan.budget.policy)} (up --target k8s delivers it with the run)`);
      if (plan.budget.warning) this.log(`# warning: ${plan.budget.warning}`);
      this.log(k8sYaml(objects));
      return undefined;
    }
    if (flags['dry-run']) {
      const repo = target;
      const rehearse = flags.rehearse ? { upstream: 'model-server' as const, modelServerDir: rehearsalDir(stateDirFor(repo, this.io.env)) } : {};
      const { plan, budget } = await planPod(repo, { ...common, ...rehearse }, this.io.env);
      if (quiet) return { ...snakeKeys(plan), budget_policy: budget.policy };
      // The policy `up` would write to the state dir for the loop and the auth sidecar to read.
      this.log(`# budget: ${describePolicy(budget.policy)} (up writes it to ${budget.hostPath})`);
      if (budget.warning) this.log(`# warning: ${budget.warning}`);
      for (const argv of [plan.createPod, plan.startPod, ...plan.createContainers.map((c) => c.argv)]) this.log(['podman', ...argv].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' '));
      return undefined;
    }
    if (k8s) {
      const { upK8s } = await import('../sandbox/k8s/k8s-up.ts');
      const r = await upK8s({ target, ...common, rehearse: flags.rehearse, acceptChanges: flags['accept-changes'], ...k8sTarget, env: this.io.env, progress: (l) => quiet || this.io.stderr.write(`peers up: ${l}\n`) });
      if (!quiet) {
        this.log(r.alreadyRunning ? `${r.name} is already running (Pod ${r.pod} in ${r.namespace}).` : `${r.name} is running on ${r.context}: Pod ${r.pod} in namespace ${r.namespace} (${r.resumed ? 'resumed' : 'started'} in ${r.seconds.toFixed(1)} s).`);
        for (const n of r.notes) this.log(`  note: ${n}`);
        this.log(`  follow it:   peers logs ${r.name} -f\n  status:      peers status ${r.name}\n  stop it:     peers down ${r.name}`);
      }
      if (flags.attach && !quiet) {
        const { followK8sLogs } = await import('../sandbox/k8s/k8s-logs.ts');
        await followK8sLogs({ repo: target, follow: true, egress: false, io: this.io });
      }
      return upJson(r);
    }
    await refuseK8sProject(target, this.io.env);
    // Before anything starts: --attach shows the loop's output from here on, none of an earlier `up`'s (sandbox/logs.ts).
    const upStartedAt = new Date();
    const r = await up({
      target,
      ...common,
      maxRuntime,
      fresh: flags.fresh,
      rehearse: flags.rehearse,
      acceptChanges: flags['accept-changes'],
      cloneOnly: flags['clone-only'],
      env: this.io.env,
      progress: (l) => quiet || this.io.stderr.write(`peers up: ${l}\n`),
    });
    if (r.finished) {
      // Not an error: the run is over; the exit code is the run's own (0 for complete).
      if (!quiet) {
        this.log(`${r.name}: the run has finished: ${r.finished.why}`);
        this.log('What next:');
        for (const n of r.finished.next) this.log(`  - ${n}`);
      }
      return this.exitWith(r.finished.exitCode, upJson(r));
    }
    if (!quiet) {
      if (flags['clone-only']) {
        this.log(`${r.name}: run clone ready at ${r.clone} (${r.seconds.toFixed(1)} s); the pod was not started.`);
        return upJson(r);
      }
      if (r.archived !== undefined) for (const l of describeReset({ stateDir: r.stateDir, archived: r.archived, previousResults: r.previousResults ?? null, ...(r.keptResults ? { kept: r.keptResults } : {}) }, r.results?.branch)) this.log(l);
      // A resumed rehearsal still says it is one: nothing it does is billed.
      const rehearsing = flags.rehearse ? 'rehearsing (scripted model server, nothing billed)' : '';
      const what = r.decision === 'resume' ? (rehearsing ? `resumed, ${rehearsing}` : 'resumed') : rehearsing || 'running';
      this.log(r.repaired ? `${r.name} is running (pod ${r.pod}); restarted ${r.repaired.join(', ')}, which had stopped.` : r.alreadyRunning ? `${r.name} is already running (pod ${r.pod}).` : `${r.name} is ${what} in pod ${r.pod} (started in ${r.seconds.toFixed(1)} s).`);
      for (const n of r.notes) this.log(`  note: ${n}`);
      this.log(`  follow it:   peers logs ${r.name} -f\n  status:      peers status ${r.name}\n  pause a peer: peers pause NAME ${r.name}\n  stop it:     peers down ${r.name}`);
    }
    if (flags.attach && !quiet) {
      const { attachToRun } = await import('../sandbox/logs.ts');
      const exitCode = await attachToRun({ project: r.project, stateDir: r.stateDir, upStartedAt, alreadyRunning: r.alreadyRunning, log: (l) => this.log(l), io: this.io });
      // The run's last commits, as the branch in the user's repository (the pod cannot write it).
      const results = publishIfRun(target, r.stateDir);
      if (results) this.log(describePublish(results));
      return this.exitWith(exitCode, upJson(r));
    }
    return upJson(r);
  }
}
