import { Args } from '@oclif/core';
import { nextSteps } from '../src/mode-registry/init-project.ts';
import { newProject } from '../src/mode-registry/new-project.ts';
import { BaseCommand } from './base.ts';
import { modeFlags, modeOptions } from './mode-flags.ts';

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
  static override flags = modeFlags;
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(New);
    const result = newProject({
      name: args.name,
      dir: args.dir,
      cwd: this.io.cwd,
      env: this.io.env,
      ...modeOptions(flags),
    });
    if (!this.jsonEnabled()) for (const line of nextSteps(result)) this.log(line);
    return result;
  }
}
