import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { CommandFailed } from '../src/cli/errors.ts';
import { runDemo } from '../apps/demo/run-demo.ts';
import { PRICE_TABLE_DATE } from '../auth-proxy/usage/price-table.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
import { BaseCommand } from './base.ts';

export default class Demo extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'See peers work, offline, in about a minute.';
  static override description = `See peers work, offline, in about a minute.

A sample project with a failing test and a spec; the real claude and codex CLIs driven by a
scripted model server (nothing leaves the machine, nothing is billed); the real loop and gates,
to convergence. Then the run's report, and the commands to look further.

Runs in the sandbox pod when podman and the workspace image are there (peers image build);
otherwise on the host, and says so. Run as root (a fresh machine after test/setup.sh), it hands
the demo to the unprivileged user $PEERS_TEST_USER (default peerstest), whose rootless pod it uses.`;
  static override enableJsonFlag = true;
  static override flags = {
    keep: Flags.boolean({ description: 'Keep the temporary demo directory (project, state, logs) afterwards.' }),
    dir: Flags.string({ description: 'Put the demo in this new or empty directory (kept afterwards).' }),
    host: Flags.boolean({ description: 'Run on the host even when the sandbox pod is available.', exclusive: ['pod'] }),
    pod: Flags.boolean({ description: 'Run in the sandbox pod, or fail saying why it cannot.', exclusive: ['host'] }),
  };
  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --keep', '<%= config.bin %> demo --dir /tmp/peers-demo --json'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Demo);
    const json = this.jsonEnabled();
    // Progress goes to stderr under --json, so stdout stays one JSON document.
    const print = (line: string) => (json ? this.io.stderr.write(`${line}\n`) : this.log(line));
    const outcome = await abortOnStopSignal(this.io.signals, (signal) => runDemo({ dir: flags.dir === undefined ? undefined : resolve(this.io.cwd, flags.dir), keep: flags.keep, where: flags.host ? 'host' : flags.pod ? 'pod' : 'auto', env: this.io.env, signal, print, warn: (line) => this.io.stderr.write(`${line}\n`) }));
    if (!json) {
      this.log('');
      this.log(outcome.report.trimEnd());
      this.log('');
      const metered = outcome.launcher === 'pod' ? `as the auth sidecar metered it (list prices of ${PRICE_TABLE_DATE})` : 'as the CLIs report it (codex reports tokens only)';
      this.log(`Tokens: ${outcome.tokens.loop.toLocaleString('en-US')} (model server served ${outcome.tokens.served.toLocaleString('en-US')}); cost had it been billed, ${metered}: $${outcome.usd.loop.toFixed(4)}`);
      this.log(outcome.kept ? 'Look further:' : 'Next:');
      for (const line of outcome.next_steps) this.log(`  ${line}`);
    }
    if (!outcome.ok) {
      // Under --json the outcome is the document (with its stop reason); the reason goes to stderr either way.
      throw new CommandFailed(1, {
        result: outcome,
        message: `the demo stopped with ${outcome.stop_reason ?? 'no stop reason'} instead of complete`,
        hint: `the loop's last output:\n${outcome.loop_output_tail ?? ''}\nlook at ${outcome.state_dir}/logs`,
      });
    }
    return outcome;
  }
}
