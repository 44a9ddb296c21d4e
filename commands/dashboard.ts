import { Flags } from '@oclif/core';
import { startDashboard } from '../apps/dashboard/server.ts';
import { untilStopSignal } from '../src/cli/stop-signal.ts';
import { BaseCommand } from './base.ts';

export default class Dashboard extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Serve a live local page of every registered project.';
  static override description = `Serve a live page of every registered project (state, tick, who is working on what, spend, gates) with a drill-down per project: the same data as \`peers status --json\`.
Listens on 127.0.0.1 only and answers only requests that carry the random token in the printed URL. Ctrl-C stops it.`;
  static override flags = {
    port: Flags.integer({ min: 0, max: 65535, default: 0, description: 'Port on 127.0.0.1 (default: a free one).' }),
  };
  static override examples = ['<%= config.bin %> dashboard', '<%= config.bin %> dashboard --port 8765'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Dashboard);
    const d = startDashboard({ port: flags.port });
    this.log(`peers dashboard: ${d.url}`);
    this.log('(only this machine can connect, and only with the token in that URL; Ctrl-C stops it)');
    await untilStopSignal(this.io.signals);
    await d.stop();
  }
}
