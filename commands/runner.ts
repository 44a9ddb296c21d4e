import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { BaseCommand } from './base.ts';
import { RUNNER_FLAGS, runRunner } from './runner-role.ts';

export default class Runner extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run processes for the loop inside a sandbox container (internal).';
  static override description = `Run processes for the loop inside a sandbox container (internal). Listens on a Unix socket for
the runner protocol (sandbox/runner-protocol.ts) until SIGTERM. With --prepare-checkout (the setup
container), checks out the HEAD given as JSON on stdin from the trusted mirror and runs the
project's setup there; with --probe-gates (the gates container), evaluates the hard goals on that
checkout. Both print JSON.`;
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> runner --socket /run/peers/workspace/runner.sock',
    '<%= config.bin %> runner --socket /run/peers/gates/runner.sock --bridge 127.0.0.1:3128=unix:/run/peers/egress/egress.sock',
    'echo \'{"head":"…","setup":"npm ci"}\' | <%= config.bin %> runner --prepare-checkout',
    'echo \'{"dir":"/checkouts/c-x/tree","head":"…","goals":[…],"timeoutS":120,"jobs":4}\' | <%= config.bin %> runner --probe-gates',
  ];
  static override flags = oclifFlags(RUNNER_FLAGS);

  async run(): Promise<void> {
    const { flags } = await this.parse(Runner);
    await runRunner(flags, this.io);
  }
}
