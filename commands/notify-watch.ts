import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { watchNotifications } from '../src/notify/notify-watch.ts';
import { abortOnStopSignal } from '../src/cli/stop-signal.ts';
import { BaseCommand } from './base.ts';

export default class NotifyWatch extends BaseCommand {
  static override controlsRuns = true;
  static override hidden = true;
  static override summary = 'Send the notifications a run owes until it stops.';
  static override description = 'Send the notifications a run owes (`notify:` in config.yaml) until it stops; `peers up` starts it in the background on the host.';
  static override examples = ['<%= config.bin %> notify-watch --state-dir ~/.local/state/peers/app', '<%= config.bin %> notify-watch --state-dir ~/.local/state/peers/app --poll-ms 1000'];
  static override flags = {
    'state-dir': Flags.string({ required: true, description: "The run's state directory." }),
    'poll-ms': Flags.integer({ min: 100, default: 3000, description: 'How often to look at the run.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(NotifyWatch);
    const how = await abortOnStopSignal(this.io.signals, (signal) => watchNotifications(resolve(this.io.cwd, flags['state-dir']), { pollMs: flags['poll-ms'], signal, log: (line) => this.io.stderr.write(`${line}\n`) }));
    this.io.stderr.write(`peers notify-watch: done (${how})\n`);
  }
}
