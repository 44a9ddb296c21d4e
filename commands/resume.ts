import { Args } from '@oclif/core';
import { setPaused } from '../sandbox/operator-controls.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Resume extends BaseCommand {
  static override summary = 'Resume a peer paused with peers pause.';
  static override description = 'Resume a peer paused with `peers pause` (or all): it takes turns again from the loop\'s next tick.';
  static override enableJsonFlag = true;
  static override args = {
    peer: Args.string({ required: true, description: 'Peer name from .peers/config.yaml, or all.' }),
    project: projectArg(),
  };
  static override flags = projectDirFlag();
  static override examples = ['<%= config.bin %> resume codex', '<%= config.bin %> resume all app'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Resume);
    const r = await setPaused({ repo: projectFrom(args.project, flags.dir, this.io), peer: args.peer, paused: false, env: this.io.env });
    if (!this.jsonEnabled()) {
      this.log(r.changed.length ? `resumed ${r.changed.join(', ')}` : `${args.peer} was not paused`);
      this.log(`  paused now: ${r.paused.join(', ') || 'none'}`);
    }
    return r;
  }
}
