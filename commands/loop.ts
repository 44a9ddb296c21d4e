import { stateDirOf } from './project-flags.ts';
import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { readUserGitIdentity, USER_IDENTITY_ENV, userIdentityEnv } from '../src/config/git-identity.ts';
import { gateProbeFromEnv } from '../sandbox/gates-remote.ts';
import { heldLifeline } from '../sandbox/lifeline.ts';
import { peerRunnerFromEnv } from '../sandbox/socket-runner.ts';
import { runLoop } from '../src/loop/shell/loop-runner.ts';
import { becomeSubreaper } from '../src/proc/subreaper.ts';
import { loopStartFlags, maxTicksFlag, maxTokensFlag, maxUsdFlag, stateDirFlag } from './run-flags.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
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
    'max-ticks': maxTicksFlag('Stop after this many ticks in this run (stop reason max_ticks); budget.max_ticks caps all runs together (budget:max_ticks).'),
    'max-usd': maxUsdFlag(),
    'max-runtime': Flags.integer({ min: 1, description: 'Runtime cap in seconds (overrides budget.max_runtime_s; the operator control file\'s, from `peers up --max-runtime`, overrides both).' }),
    'max-tokens': maxTokensFlag(),
    'max-consecutive-failures': Flags.integer({ min: 1, description: 'Failed turns in a row before stopping (overrides budget.max_consecutive_failures).' }),
    ...loopStartFlags(),
    ...stateDirFlag(),
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
    // In the pod (`peers up` sets PEERS_RUNNER_*): peer CLIs run in the workspace container and
    // gates in the gates container; elsewhere both stay local.
    const runner = peerRunnerFromEnv(this.io.env);
    const gateProbe = gateProbeFromEnv(this.io.env);
    // What a turn, a gate or setup run here leaves behind comes back to the loop, mark or no mark
    // (subreaper.ts); where it cannot, the turn's mark alone finds them.
    if ((!runner || !gateProbe) && !becomeSubreaper()) {
      this.io.stderr.write('peers: warning: this loop cannot be the subreaper of its runs (no glibc prctl here): a process a turn leaves without its mark (env -i) is not stopped when the turn ends\n');
    }
    const repo = resolve(this.io.cwd, args.path ?? '.');
    // The peers' git identity falls back to the user's (git-identity.ts). `peers up` reads it on the
    // host and hands it over; a loop started on the host reads it here, once, before any turn.
    const handedOver = USER_IDENTITY_ENV.name in this.io.env || USER_IDENTITY_ENV.email in this.io.env;
    const env = runner || handedOver ? this.io.env : { ...this.io.env, ...userIdentityEnv(readUserGitIdentity(repo, this.io.env)) };
    const outcome = await abortOnStopSignal(this.io.signals, (signal) =>
      runLoop({
        repo,
        env,
        stateDir: stateDirOf(flags['state-dir'], this.io.cwd),
        maxTicks: flags['max-ticks'],
        maxUsd: flags['max-usd'],
        maxRuntimeS: flags['max-runtime'],
        maxTokens: flags['max-tokens'],
        maxConsecutiveFailures: flags['max-consecutive-failures'],
        noSkeptic: flags['no-skeptic'],
        noRecon: flags['no-recon'],
        noCodemap: flags['no-codemap'],
        resetPeers: flags['reset-peer'] ?? [],
        backoffBaseMs: flags['backoff-base-ms'],
        budgetPolicy: flags['budget-policy'] ? resolve(this.io.cwd, flags['budget-policy']) : undefined,
        usageLedger: flags['usage-ledger'] ? resolve(this.io.cwd, flags['usage-ledger']) : undefined,
        acceptChanges: flags['accept-changes'],
        pod: flags['workspace-dir'] ? { workspaceDir: flags['workspace-dir'] } : undefined,
        runner,
        gateProbe,
        // In the pod: the lifeline says which containers are down (the run holds while any is).
        podHealth: heldLifeline(),
        signal,
        log: (line) => this.io.stderr.write(`${line}\n`),
      }),
    );
    this.log(`Stopped: ${outcome.reason}`);
    this.exitWith(outcome.exitCode, undefined);
  }
}
