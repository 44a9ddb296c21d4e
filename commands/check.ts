import { Args, Flags } from '@oclif/core';
import { CHECKS, checkIds } from '../modes/checks/index.ts';
import { InputError } from '../src/cli/errors.ts';
import { withObservedWorkTree } from '../src/git/observed-view.ts';
import { terminalText } from '../src/cli/terminal-text.ts';
import { PROJECT_DESCRIPTION, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Check extends BaseCommand {
  static override summary = 'Run one built-in check (the commands behind the mode goals).';
  static override description = 'Run one built-in check (the commands behind the mode goals). Exit 0 pass, 1 fail, 2 unknown check or bad path.';
  static override enableJsonFlag = true;
  static override args = {
    id: Args.string({ description: `Check id: ${checkIds().join(', ')}.`, required: true }),
    path: Args.string({ description: PROJECT_DESCRIPTION }),
  };
  static override flags = {
    ...projectDirFlag(),
    lang: Flags.string({ description: 'Project language for lint-clean, type-clean and no-prior-regression: js, ts, python, go or rust (detected when absent).' }),
    pin: Flags.string({ description: 'contracts-unchanged: a frozen file, PATH=BLOB (repeatable).', multiple: true }),
    acked: Flags.string({ description: 'plan-complete: a [BLOCKED] step the operator acknowledged (repeatable).', multiple: true }),
    peers: Flags.string({ description: 'honesty-audit: the run\'s peers, comma-separated.' }),
    n: Flags.integer({ description: 'description-converged: how many refining commits in a row (default 2).', min: 1 }),
  };
  static override examples = [
    '<%= config.bin %> check bug-hunt-clean',
    '<%= config.bin %> check self-review-on-handoff ../myrepo',
    '<%= config.bin %> check no-prior-regression --lang python',
    '<%= config.bin %> check no-secrets --json',
  ];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Check);
    // An own property only: `peers check constructor` is an unknown check, not Object's constructor.
    const check = Object.hasOwn(CHECKS, args.id) ? CHECKS[args.id] : undefined;
    if (!check) throw new InputError(`unknown check "${args.id}"`, { hint: `available checks: ${checkIds().join(', ')}` });
    const dir = projectFrom(args.path, flags.dir, this.io);
    // History through a read-only view, files from the working tree: the repository's own config
    // (filters, fsmonitor, hooks, includes…) is never honoured.
    const result = await withObservedWorkTree(dir, this.io.env, () =>
      check.run(dir, {
        lang: flags.lang,
        pins: flags.pin,
        acked: flags.acked,
        peers: flags.peers?.split(',').map((p) => p.trim()).filter(Boolean),
        n: flags.n,
      }),
    );
    const out = { id: args.id, pass: result.pass, report: result.report };
    // A report quotes commit subjects, bug titles, file names: the peers' words, shown as text.
    if (result.pass) {
      if (!this.jsonEnabled()) this.log(terminalText(result.report));
      return out;
    }
    // A failed check prints its report on stderr (stdout stays for what passed).
    if (!this.jsonEnabled()) this.io.stderr.write(`${terminalText(result.report)}\n`);
    return this.exitWith(1, out);
  }
}
