import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { readUserGitIdentity, USER_IDENTITY_ENV, userIdentityEnv } from '../src/config/git-identity.ts';
import { gateProbeFromEnv } from '../sandbox/gates-remote.ts';
import { heldLifeline } from '../sandbox/lifeline.ts';
import { peerRunnerFromEnv } from '../sandbox/socket-runner.ts';
import { runLoop } from '../src/loop/loop-runner.ts';
import { BaseCommand } from './base.ts';

export default class Loop extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run peer ticks until the gates converge or a limit stops the run.';
  static override description = [
    "Run peer ticks until the gates converge or a limit stops the run (the loop container's main process).",
    '',
    "Resumes from the state directory's state.json; a second loop on the same project refuses to start. Stop reasons (last-stop-reason.txt): complete, blocked (the peers agree the task cannot be done as specified; the reason is in peers report), max_ticks, budget:<cap>, stuck:<gate>, peer-unavailable:<peer>, peer-unavailable:all-peers-down, interrupted. Exit 0 for complete and max_ticks, 1 otherwise, 2 for bad input.",
    '',
    'An unavailable peer or a halted run comes back only by operator action: --reset-peer NAME|all, or a changed .peers/config.yaml or goals.yaml.',
    '',
    'Before every tick it reads the operator control file (control/operator.json in the state dir: `peers pause|resume`, `peers up --max-runtime`); a damaged one holds the run.',
  ].join('\n');
  static override hidden = true;
  static override args = { path: Args.string({ description: 'Project repository (default: the current directory).' }) };
  static override flags = {
    'max-ticks': Flags.integer({ min: 1, description: 'Stop after this many ticks in this run (stop reason max_ticks); budget.max_ticks caps all runs together (budget:max_ticks).' }),
    'max-usd': Flags.string({ description: 'Spending cap in US dollars (overrides budget.max_usd).' }),
    'max-runtime': Flags.integer({ min: 1, description: 'Runtime cap in seconds (overrides budget.max_runtime_s; the operator control file\'s, from `peers up --max-runtime`, overrides both).' }),
    'max-tokens': Flags.integer({ min: 1, description: 'Token cap over all peers (overrides budget.max_tokens; stop reason budget:max_tokens).' }),
    'max-consecutive-failures': Flags.integer({ min: 1, description: 'Failed turns in a row before stopping (overrides budget.max_consecutive_failures).' }),
    'no-skeptic': Flags.boolean({ description: 'Complete at convergence without the post-convergence skeptic tick.' }),
    'no-recon': Flags.boolean({ description: 'Do not write the recon digest (recon.md) before the first tick.' }),
    'no-codemap': Flags.boolean({ description: 'Do not write the codemap (CODEMAP.yaml, codemap.md) before the first tick.' }),
    'state-dir': Flags.string({ description: 'State directory (default: $PEERS_STATE_DIR or $XDG_STATE_HOME/peers/<project>).' }),
    'reset-peer': Flags.string({ multiple: true, description: 'Bring an unavailable or degraded peer (or "all") back before starting.' }),
    'budget-policy': Flags.string({ description: 'The budget policy `peers up` resolved (budget.json): its caps and max_usd_mode replace the config\'s. A missing or invalid file is an error.' }),
    'usage-ledger': Flags.string({ description: 'The auth sidecar\'s usage ledger: the authority for tokens and USD (the CLIs\' own figures are kept for comparison). Damage holds the run.' }),
    'backoff-base-ms': Flags.integer({ min: 0, hidden: true, description: 'Base of the rate-limit backoff (tests).' }),
    'accept-changes': Flags.boolean({ description: 'Adopt a .peers/config.yaml or goals.yaml that changed since the last run (refused otherwise, with the diff).' }),
    'workspace-dir': Flags.string({
      hidden: true,
      description: 'In the pod: PATH is the run clone as the loop sees it, peers run on it at this directory in the workspace container, and the control plane is the state dir\'s read-only snapshot.',
    }),
  };
  static override examples = [
    '<%= config.bin %> loop',
    '<%= config.bin %> loop ~/src/app --max-ticks 10 --max-usd 5',
    '<%= config.bin %> loop --reset-peer codex',
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Loop);
    let maxUsd: number | undefined;
    if (flags['max-usd'] !== undefined) {
      maxUsd = Number(flags['max-usd']);
      if (!Number.isFinite(maxUsd) || maxUsd <= 0) throw new InputError(`--max-usd must be a positive number, got ${flags['max-usd']}`, { hint: 'e.g. --max-usd 5' });
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // In the pod (`peers up` sets PEERS_RUNNER_*): peer CLIs run in the workspace container and
    // gates in the gates container; elsewhere both stay local.
    const runner = peerRunnerFromEnv();
    const repo = resolve(args.path ?? process.cwd());
    // The peers' git identity falls back to the user's (git-identity.ts). `peers up` reads it on the
    // host and hands it over; a loop started on the host reads it here, once, before any turn.
    const handedOver = USER_IDENTITY_ENV.name in process.env || USER_IDENTITY_ENV.email in process.env;
    const env = runner || handedOver ? process.env : { ...process.env, ...userIdentityEnv(readUserGitIdentity(repo)) };
    try {
      const outcome = await runLoop({
        repo,
        env,
        stateDir: flags['state-dir'] ? resolve(flags['state-dir']) : undefined,
        maxTicks: flags['max-ticks'],
        maxUsd,
        maxRuntimeS: flags['max-runtime'],
        maxTokens: flags['max-tokens'],
        maxConsecutiveFailures: flags['max-consecutive-failures'],
        noSkeptic: flags['no-skeptic'],
        noRecon: flags['no-recon'],
        noCodemap: flags['no-codemap'],
        resetPeers: flags['reset-peer'] ?? [],
        backoffBaseMs: flags['backoff-base-ms'],
        budgetPolicy: flags['budget-policy'] ? resolve(flags['budget-policy']) : undefined,
        usageLedger: flags['usage-ledger'] ? resolve(flags['usage-ledger']) : undefined,
        acceptChanges: flags['accept-changes'],
        pod: flags['workspace-dir'] ? { workspaceDir: flags['workspace-dir'] } : undefined,
        runner,
        gateProbe: gateProbeFromEnv(),
        // In the pod: the lifeline says which containers are down (the run holds while any is).
        podHealth: heldLifeline(),
        signal: stop.signal,
      });
      this.log(`Stopped: ${outcome.reason}`);
      process.exitCode = outcome.exitCode;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
}
