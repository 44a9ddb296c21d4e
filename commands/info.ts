import { Flags } from '@oclif/core';
import { homedir } from 'node:os';
import { describeProject, formatProjectView } from '../src/config/describe-project.ts';
import { readUserGitIdentity, userIdentityEnv } from '../src/config/git-identity.ts';
import { loadProject, projectDirFrom } from '../src/config/load.ts';
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
    // The identity `peers up` would hand to the peers: read the same way, from this repository.
    const env = { ...process.env, ...userIdentityEnv(readUserGitIdentity(repo)) };
    const view = describeProject({ repo, ...project, env, homeDir: process.env.HOME || homedir() });
    if (!this.jsonEnabled()) for (const line of formatProjectView(view)) this.log(line);
    return view;
  }
}
