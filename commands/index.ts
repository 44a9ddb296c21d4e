/**
 * The command tree, listed explicitly so that oclif needs no file discovery inside the compiled
 * binary. Ids use ':' internally; users type them separated by spaces (`peers modes list`).
 */
import { commands as helpPlugin } from '@oclif/plugin-help';
import type { CommandMap } from '../src/cli/bootstrap.ts';
import Commands from './commands.ts';

export const COMMANDS: CommandMap = {
  help: helpPlugin.help as CommandMap[string],
  commands: Commands,
};
