import { Flags } from '@oclif/core';
import { InputError } from '../src/cli/errors.ts';
import { parseSince, showPeerLogs } from '../apps/logs/peer-logs.ts';
import { stateDirFor, projectKey } from '../src/state/paths.ts';
import { targetOfRepo } from '../sandbox/run-target.ts';
import { followLogs } from '../sandbox/logs.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
import { BaseCommand } from './base.ts';

export default class Logs extends BaseCommand {
  static override summary = 'Show a project\'s loop output, one peer\'s output, or the egress log.';
  static override description = "Show a project's loop output; with --peer one peer's output turn by turn, as it happens; with --egress the egress audit log (every allowed and refused connection).";
  static override args = { project: projectArg() };
  static override flags = {
    ...projectDirFlag(),
    follow: Flags.boolean({ char: 'f', description: 'Keep following new output (until the run stops, or Ctrl-C).' }),
    egress: Flags.boolean({ description: 'The egress audit log (JSONL) instead of the loop output.' }),
    peer: Flags.string({ description: "One peer's output (its CLI's stdout and stderr), written while its turn runs; the CLIs' JSON events shown as the tool calls, messages and retries they say." }),
    raw: Flags.boolean({ description: "With --peer: the output as the CLI wrote it, JSON events included.", dependsOn: ['peer'] }),
    since: Flags.string({ description: 'With --peer: turns with output since a duration ago (30m, 2h), a date, or a tick (tick:12).', dependsOn: ['peer'] }),
    tail: Flags.integer({ min: 0, description: 'With --peer: only the last N lines before following.', dependsOn: ['peer'] }),
  };
  static override examples = ['<%= config.bin %> logs -f', '<%= config.bin %> logs app --peer claude -f --tail 50', '<%= config.bin %> logs --peer codex --since 2h', '<%= config.bin %> logs app --egress'];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const repo = projectFrom(args.project, flags.dir, this.io);
    if (targetOfRepo(repo, this.io.env) && !flags.peer) {
      return this.exitWith(await (await import('../sandbox/k8s/k8s-logs.ts')).followK8sLogs({ repo, follow: flags.follow, egress: flags.egress, io: this.io }), undefined);
    }
    // A peer's turn logs of a run on a cluster: brought home first, then read as a podman run's.
    if (targetOfRepo(repo, this.io.env) && flags.peer && !flags.egress) await (await import('../sandbox/k8s/k8s-logs.ts')).bringPeerLogsHome({ repo, follow: flags.follow, env: this.io.env });
    if (flags.peer) {
      if (flags.egress) throw new InputError('--peer and --egress show different logs: pass one of them');
      const peer = flags.peer;
      const exitCode = await abortOnStopSignal(this.io.signals, (signal) =>
        showPeerLogs({
          stateDir: stateDirFor(repo, this.io.env),
          peer,
          since: flags.since ? parseSince(flags.since, new Date()) : undefined,
          tail: flags.tail,
          follow: flags.follow,
          raw: flags.raw,
          out: (t) => this.io.stdout.write(t),
          err: (t) => this.io.stderr.write(t),
          signal,
        }),
      );
      return this.exitWith(exitCode, undefined);
    }
    return this.exitWith(await followLogs({ project: projectKey(repo), follow: flags.follow, egress: flags.egress, stateDir: stateDirFor(repo, this.io.env), io: this.io }), undefined);
  }
}
