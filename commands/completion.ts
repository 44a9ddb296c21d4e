import { Args } from '@oclif/core';
import { completionModel } from '../src/cli/completion/completion-model.ts';
import { completionScript, SHELLS, type Shell } from '../src/cli/completion/completion-scripts.ts';
import { BaseCommand } from './base.ts';

export default class Completion extends BaseCommand {
  static override summary = 'Print the shell completion script for bash, zsh or fish.';
  static override description = `Print a completion script for bash, zsh or fish: commands, every command's flags, and the values of flags that take one of a fixed set. It is generated from the commands built into this binary, so it always matches it; load it from your shell's startup file.`;
  static override args = { shell: Args.string({ description: 'bash, zsh or fish.', options: [...SHELLS], required: true }) };
  static override examples = [
    '<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/peers',
    'echo \'source <(peers completion zsh)\' >> ~/.zshrc',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/peers.fish',
  ];

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const model = completionModel(this.config.bin, this.config.commands, this.config.topics);
    this.io.stdout.write(completionScript(args.shell as Shell, model));
  }
}
