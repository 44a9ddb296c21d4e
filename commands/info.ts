import { Flags } from '@oclif/core';
import { describeProject, formatProjectView } from '../src/config/describe-project.ts';
import { loadProject, projectDirFrom } from '../src/config/load.ts';
import { homeDir } from '../src/state/env-dirs.ts';
import { BaseCommand } from './base.ts';

export default class Info extends BaseCommand {
  static override description =
    'Show the resolved configuration: each peer with the exact command it will run, the goals, the budget, and whether max_usd is enforced (and why).';
  static override examples = ['<%= config.bin %> info', '<%= config.bin %> info --json', '<%= config.bin %> info -C ~/src/my-project'];
  static override flags = { dir: Flags.directory({ char: 'C', description: 'Project directory (default: the current git repository).', default: '.' }) };
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Info);
    const repo = projectDirFrom(flags.dir);
    const project = loadProject(repo);
    const view = describeProject({ repo, ...project, env: process.env, homeDir: homeDir() });
    if (!this.jsonEnabled()) for (const line of formatProjectView(view)) this.log(line);
    return view;
  }
}
