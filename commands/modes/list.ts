import { listModes } from '../../src/modes/registry.ts';
import { BaseCommand } from '../base.ts';

export default class ModesList extends BaseCommand {
  static override description = 'List the built-in modes (goal programs peers can install), one line each.';
  static override examples = ['<%= config.bin %> modes list', '<%= config.bin %> modes list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    await this.parse(ModesList);
    const modes = listModes();
    if (!this.jsonEnabled()) for (const m of modes) this.log(`${m.name.padEnd(12)} ${m.description}`);
    return modes;
  }
}
