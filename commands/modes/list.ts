import { listModes } from '../../src/mode-registry/registry.ts';
import { paintFor } from '../../src/cli/colour.ts';
import { BaseCommand } from '../base.ts';

export default class ModesList extends BaseCommand {
  static override summary = 'List the built-in modes and what each adds.';
  static override description = 'List the built-in modes (goal programs `peers init --modes` installs): what each adds and what it can be stacked with.';
  static override examples = ['<%= config.bin %> modes list', '<%= config.bin %> modes list --json', '<%= config.bin %> init --modes audit,thorough'];
  static override enableJsonFlag = true;

  async run(): Promise<unknown> {
    await this.parse(ModesList);
    const modes = listModes();
    if (!this.jsonEnabled()) {
      this.log(paintFor(this.io.stdout, this.io.env).bold(`${'MODE'.padEnd(10)} WHAT IT DOES`));
      for (const m of modes) {
        this.log(`${m.name.padEnd(10)} ${m.description}`);
        this.log(`${' '.repeat(11)}adds: ${m.adds}`);
        const stack = m.standalone ? 'runs alone' : m.requires.length ? `needs ${m.requires.join(', ')}; stacks with ${m.composes_with.join(', ')}` : `stacks with ${m.composes_with.join(', ')}`;
        this.log(`${' '.repeat(11)}${stack}`);
        this.log(`${' '.repeat(11)}hard: ${m.hard.join(', ') || '-'}${m.soft.length ? `; soft: ${m.soft.join(', ')}` : ''}`);
      }
    }
    return { modes };
  }
}
