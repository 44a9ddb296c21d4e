import { Args, Flags } from '@oclif/core';
import { ackBlock } from '../src/mode-registry/operator-contract.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class AckBlock extends BaseCommand {
  static override summary = 'Accept a [BLOCKED] plan step as it stands, with your reason.';
  static override description = 'Accept a plan step the peers marked [BLOCKED] as it stands, so plan-complete no longer waits for it. Logged with your reason in .peers/contracts.log; applies when the run next starts.';
  static override examples = ['<%= config.bin %> ack-block STEP-3 --reason "needs the payment sandbox, which we do not have; done by hand"'];
  static override args = {
    step: Args.string({ description: 'The blocked step, e.g. STEP-3.', required: true }),
    path: Args.string({ description: PROJECT_DESCRIPTION }),
  };
  static override flags = { ...projectDirFlag(), reason: Flags.string({ description: 'Why the step can stay undone (kept in .peers/contracts.log).', required: true }) };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(AckBlock);
    const repo = projectFrom(args.path, flags.dir, this.io);
    const r = ackBlock(repo, args.step, flags.reason);
    if (!this.jsonEnabled()) {
      this.log(`Acknowledged ${args.step} (found [BLOCKED] in PLAN.md at ${r.foundIn}); acknowledged so far: ${r.contract.acked.join(', ')}.`);
      this.log('A running loop keeps the goals it started with: `peers down` then `peers up` to apply this.');
    }
    return { repo, step: args.step, acked: r.contract.acked, found_in: r.foundIn };
  }
}
