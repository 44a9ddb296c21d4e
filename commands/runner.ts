import { oclifFlags } from '../src/cli/oclif-flags.ts';
import { BaseCommand } from './base.ts';
import { RUNNER_FLAGS, runRunner } from './runner-role.ts';

export default class Runner extends BaseCommand {
  static override description = `Run processes for the loop inside a sandbox container (internal). Listens on a Unix socket for
the runner protocol (sandbox/runner-protocol.ts) until SIGTERM. With --probe-gates, instead
evaluates the hard goals given as JSON on stdin on a fresh read-only clone of HEAD and prints the
results as JSON (what the gates container runs for the loop).`;
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> runner --socket /run/peers/workspace/runner.sock',
    '<%= config.bin %> runner --socket /run/peers/gates/runner.sock --bridge 127.0.0.1:3128=unix:/run/peers/egress/egress.sock',
    'echo \'{"head":"…","goals":[…],"timeoutS":120,"jobs":4}\' | <%= config.bin %> runner --probe-gates --repo /work',
  ];
  static override flags = oclifFlags(RUNNER_FLAGS);

  async run(): Promise<void> {
    const { flags } = await this.parse(Runner);
    await runRunner(flags);
  }
}
