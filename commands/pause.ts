import { Args } from '@oclif/core';
import { setPaused } from '../sandbox/operator-controls.ts';
import { projectArg, projectDirFlag, projectFrom } from './project-target.ts';
import { BaseCommand } from './base.ts';

export default class Pause extends BaseCommand {
  static override summary = 'Pause one peer (or all) while the run goes on.';
  static override description = `Pause one peer (or all) while the run goes on: it gets no turn, not even as the skeptic,
until \`peers resume\`. A turn in progress finishes first; the loop reads the pause before its next
tick. With every peer paused the run waits (the wait is not counted against the max runtime).

The pause is written to the operator's control file in the state dir, which no peer can reach.`;
  static override enableJsonFlag = true;
  static override args = {
    peer: Args.string({ required: true, description: 'Peer name from .peers/config.yaml, or all.' }),
    project: projectArg(),
  };
  static override flags = projectDirFlag();
  static override examples = ['<%= config.bin %> pause codex', '<%= config.bin %> pause claude app', '<%= config.bin %> pause all'];

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Pause);
    const r = await setPaused({ repo: projectFrom(args.project, flags.dir, this.io), peer: args.peer, paused: true, env: this.io.env });
    if (!this.jsonEnabled()) {
      this.log(r.changed.length ? `paused ${r.changed.join(', ')}` : `${args.peer} was already paused`);
      this.log(r.running ? '  the loop takes it before its next tick (a turn in progress finishes)' : '  the run is not running: it applies when the run resumes');
      this.log(`  paused now: ${r.paused.join(', ') || 'none'}; resume with: peers resume ${args.peer}`);
    }
    return r;
  }
}
