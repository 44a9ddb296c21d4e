import { Args, Flags } from '@oclif/core';
import { amendContract } from '../src/mode-registry/operator-contract.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Amend extends BaseCommand {
  static override summary = 'Change implement mode\'s frozen acceptance contract, with your reason.';
  static override description = "Change implement mode's frozen acceptance contract (the peers cannot): another acceptance or e2e command, files re-pinned at HEAD or unpinned. Logged with your reason in .peers/contracts.log; applies when the run next starts.";
  static override examples = [
    '<%= config.bin %> amend --acceptance "node --test test/acceptance.test.js" --reason "the spec now asks for ISO dates"',
    '<%= config.bin %> amend --file test/acceptance.test.js --reason "fixed a wrong expectation in the acceptance test"',
  ];
  static override args = { path: Args.string({ description: PROJECT_DESCRIPTION }) };
  static override flags = {
    ...projectDirFlag(),
    acceptance: Flags.string({ description: 'The new acceptance command.' }),
    e2e: Flags.string({ description: 'The new end-to-end command (web and gui plans).' }),
    file: Flags.string({ description: 'Pin this file at its committed content (HEAD); repeatable.', multiple: true }),
    unpin: Flags.string({ description: 'Stop pinning this file; repeatable.', multiple: true }),
    reason: Flags.string({ description: 'Why (kept in .peers/contracts.log).', required: true }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Amend);
    const repo = projectFrom(args.path, flags.dir, this.io);
    const r = amendContract(repo, { acceptance: flags.acceptance, e2e: flags.e2e, files: flags.file, unpin: flags.unpin, reason: flags.reason });
    if (!this.jsonEnabled()) {
      this.log(`Amended the acceptance contract of ${repo}:`);
      this.log(`  acceptance: ${r.after.acceptance}`);
      if (r.after.e2e) this.log(`  e2e: ${r.after.e2e}`);
      for (const p of r.after.pins) this.log(`  pinned: ${p.path} (${p.blob.slice(0, 12)})`);
      this.log('A running loop keeps the contract it started with: `peers down` then `peers up` to apply this one.');
    }
    return { repo, ...r };
  }
}
