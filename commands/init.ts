import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { checkTarget, initProject, nextSteps } from '../src/mode-registry/init-project.ts';
import { liveRunOf } from '../apps/live-run.ts';
import { shellCommand } from '../src/cli/shell-word.ts';
import { BaseCommand } from './base.ts';
import { modeFlags, modeOptions } from './mode-flags.ts';
import { refuseEmptyProject } from './project-flags.ts';
import { projectDirFlag } from './project-target.ts';
import { InputError } from '../src/cli/errors.ts';

export default class Init extends BaseCommand {
  static override summary = 'Set up peers in a git repository.';
  static override description =
    'Set up peers in a git repository: writes .peers/config.yaml and .peers/goals.yaml (with JSON Schemas for editors), adds .peers/ to .gitignore in a commit (staged for you to commit, signed, where your git config signs every commit), and tags the current HEAD peers-baseline. With --modes, installs a proven goal program (peers modes list).';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init ~/src/my-project',
    '<%= config.bin %> init -C ~/src/my-project   # the same, as -C names the project in every command',
    '<%= config.bin %> init --modes audit,thorough              # audit an existing codebase (language detected)',
    '<%= config.bin %> init --modes audit --lang python',
    '<%= config.bin %> init --modes implement --plan PLAN.md     # build a feature against a frozen acceptance test',
    '<%= config.bin %> init --modes describe --spec notes.md',
    '<%= config.bin %> init --force   # replace an existing .peers/',
  ];
  static override args = { path: Args.directory({ description: 'The repository to set up (its top directory).', default: '.' }) };
  static override flags = {
    ...projectDirFlag(),
    ...modeFlags,
    force: Flags.boolean({ description: 'Replace an existing .peers/ directory (its contents are deleted).' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Init);
    refuseEmptyProject(args.path, 'argument');
    refuseEmptyProject(flags.dir, '-C');
    // -C DIR as in every other command (project-flags.ts); PATH defaults to '.', so only another PATH conflicts.
    if (flags.dir !== undefined && args.path !== '.') throw new InputError(`the project is named twice: '${args.path}' and -C ${flags.dir}`, { hint: 'pass one of them' });
    const target = resolve(this.io.cwd, flags.dir ?? args.path);
    // Not under a live run: init deletes and rewrites .peers/, commits, and moves peers-baseline (apps/live-run.ts).
    const repo = checkTarget(target, this.io.env);
    const live = await liveRunOf(repo, this.io.env, shellCommand('peers', 'init', ...(flags.force ? ['--force'] : []), repo));
    if (live) throw new InputError(`${live.what}: peers init would rewrite .peers/ under it`, { hint: live.hint });
    const result = initProject({
      target,
      env: this.io.env,
      force: flags.force,
      ...modeOptions(flags),
    });
    if (!this.jsonEnabled()) for (const line of nextSteps(result)) this.log(line);
    return result;
  }
}
