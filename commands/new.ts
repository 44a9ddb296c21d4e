import { Args, Flags } from '@oclif/core';
import { nextSteps } from '../src/config/init-project.ts';
import { parseModeList } from '../src/modes/compose.ts';
import { newProject } from '../src/modes/new-project.ts';
import { BaseCommand } from './base.ts';

export default class New extends BaseCommand {
  static override summary = 'Start a new project: directory, git, skeleton, then peers init.';
  static override description = 'Start a new project: creates the directory, git, a skeleton for --lang and a first commit, then runs `peers init` with the same modes, spec and plan (and registers the project).';
  static override examples = [
    '<%= config.bin %> new greeter --lang js --modes implement --plan ./PLAN.md',
    '<%= config.bin %> new mylib --lang python --modes audit,thorough --spec ./spec.md',
    '<%= config.bin %> new tool ~/src/tool --lang rust',
  ];
  static override args = {
    name: Args.string({ description: 'Project name (letters, digits, ".", "_", "-").', required: true }),
    dir: Args.string({ description: 'Where to create it (default: ./NAME); must not exist or be empty.' }),
  };
  static override flags = {
    modes: Flags.string({ description: 'Modes to install, comma-separated (peers modes list).' }),
    lang: Flags.string({ description: 'js, ts, python, go or rust: the skeleton and the mode checks\' language.' }),
    spec: Flags.string({ description: 'A specification file, committed as SPEC.md.' }),
    plan: Flags.string({ description: 'implement: the PLAN.md to build; acceptance_files it lists are copied from beside it.' }),
    'allow-passing-acceptance': Flags.boolean({ description: 'implement: create it even though the acceptance command already passes.' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(New);
    const result = newProject({
      name: args.name,
      dir: args.dir,
      modes: flags.modes !== undefined ? parseModeList(flags.modes) : undefined,
      lang: flags.lang,
      spec: flags.spec,
      plan: flags.plan,
      allowPassingAcceptance: flags['allow-passing-acceptance'],
    });
    if (!this.jsonEnabled()) for (const line of nextSteps(result)) this.log(line);
    return result;
  }
}
