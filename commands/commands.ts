import { Flags } from '@oclif/core';
import { paintFor } from '../src/cli/colour.ts';
import { renderTable } from '../src/cli/text-table.ts';
import { BaseCommand } from './base.ts';

export default class Commands extends BaseCommand {
  static override summary = 'List every command of this peers binary.';
  static override description = 'List every command of this peers binary; with --json, each one\'s flags and arguments too (the manifest tools such as the CLI fuzzer enumerate).';
  static override hidden = true;
  static override enableJsonFlag = true;
  static override flags = { hidden: Flags.boolean({ description: 'Include internal commands.' }) };
  static override examples = ['<%= config.bin %> commands', '<%= config.bin %> commands --json --hidden'];

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Commands);
    const list = this.config.commands
      .filter((c) => flags.hidden || this.jsonEnabled() || !c.hidden)
      .map((c) => ({
        id: c.id,
        usage: c.id.replaceAll(':', ' '),
        hidden: Boolean(c.hidden),
        summary: (c.summary ?? c.description?.split('\n')[0] ?? '').replaceAll('<%= config.bin %>', this.config.bin),
        controls_runs: (c as { controlsRuns?: boolean }).controlsRuns === true,
        flags: Object.values(c.flags ?? {}).map((f) => ({
          name: f.name,
          char: f.char ?? null,
          type: f.type,
          options: (f as { options?: readonly string[] }).options ?? null,
          multiple: f.type === 'option' && Boolean(f.multiple),
          required: Boolean(f.required),
          hidden: Boolean(f.hidden),
        })),
        args: Object.values(c.args ?? {}).map((a) => ({ name: a.name, required: Boolean(a.required), options: a.options ?? null })),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    if (!this.jsonEnabled()) for (const line of renderTable(list, [{ header: 'COMMAND', cell: (c) => c.usage }, { header: 'SUMMARY', cell: (c) => c.summary }], paintFor(this.io.stdout, this.io.env))) this.log(line);
    return { commands: list };
  }
}
