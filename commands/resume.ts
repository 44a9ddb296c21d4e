import { Args } from '@oclif/core';
import { setPaused } from '../sandbox/operator-controls.ts';
import { resolveProjectDir } from '../sandbox/up.ts';
import { BaseCommand } from './base.ts';

export default class Resume extends BaseCommand {
  static override summary = 'Resume a peer paused with peers pause.';
  static override description = 'Resume a peer paused with `peers pause` (or all): it takes turns again from the loop\'s next tick.';
  static override enableJsonFlag = true;
  static override args = {
    peer: Args.string({ required: true, description: 'Peer name from .peers/config.yaml, or all.' }),
    project: Args.string({ description: 'Project path or registered name (default: the current directory).' }),
  };
  static override examples = ['<%= config.bin %> resume codex', '<%= config.bin %> resume all app'];

  async run(): Promise<unknown> {
    const { args } = await this.parse(Resume);
    const r = await setPaused({ repo: resolveProjectDir(args.project), peer: args.peer, paused: false });
    if (!this.jsonEnabled()) {
      this.log(r.changed.length ? `resumed ${r.changed.join(', ')}` : `${args.peer} was not paused`);
      this.log(`  paused now: ${r.paused.join(', ') || 'none'}`);
    }
    return r;
  }
}
