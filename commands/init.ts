import { Args, Flags } from '@oclif/core';
import { initProject, nextSteps } from '../src/config/init-project.ts';
import { parseModeList } from '../src/modes/compose.ts';
import { BaseCommand } from './base.ts';

export default class Init extends BaseCommand {
  static override summary = 'Set up peers in a git repository.';
  static override description =
    'Set up peers in a git repository: writes .peers/config.yaml and .peers/goals.yaml (with JSON Schemas for editors), adds .peers/ to .gitignore in a commit, and tags the current HEAD peers-baseline. With --modes, installs a proven goal program (peers modes list).';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init ~/src/my-project',
    '<%= config.bin %> init --modes audit,thorough              # audit an existing codebase (language detected)',
    '<%= config.bin %> init --modes audit --lang python',
    '<%= config.bin %> init --modes implement --plan PLAN.md     # build a feature against a frozen acceptance test',
    '<%= config.bin %> init --modes describe --spec notes.md',
    '<%= config.bin %> init --force   # replace an existing .peers/',
  ];
  static override args = { path: Args.directory({ description: 'The repository to set up (its top directory).', default: '.' }) };
  static override flags = {
    force: Flags.boolean({ description: 'Replace an existing .peers/ directory (its contents are deleted).' }),
    modes: Flags.string({ description: 'Modes to install, comma-separated: audit, thorough, describe, document, implement (peers modes list).' }),
    lang: Flags.string({ description: 'Project language for the mode checks: js, ts, python, go or rust (detected when absent).' }),
    spec: Flags.string({ description: 'A specification file, committed as SPEC.md.' }),
    plan: Flags.string({ description: 'implement: the PLAN.md to build (validated; committed as PLAN.md, its acceptance test frozen).' }),
    'allow-passing-acceptance': Flags.boolean({ description: 'implement: install even though the acceptance command already passes.' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Init);
    const result = initProject({
      target: args.path,
      force: flags.force,
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
