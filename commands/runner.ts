import { Flags } from '@oclif/core';
import { startRunnerServer } from '../sandbox/runner-server.ts';
import { BaseCommand } from './base.ts';

export default class Runner extends BaseCommand {
  static override description =
    'Run processes for the loop inside a sandbox container (internal). Listens on a Unix socket for the runner protocol (sandbox/runner-protocol.ts) until SIGTERM.';
  static override hidden = true;
  static override examples = ['<%= config.bin %> runner --socket /run/peers/workspace/runner.sock'];
  static override flags = {
    socket: Flags.string({ description: 'Filesystem Unix socket to listen on (created 0600).', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Runner);
    const server = await startRunnerServer({ socketPath: flags.socket, log: (l) => process.stderr.write(`peers runner: ${l}\n`) });
    // PID 1 of its container: SIGTERM (podman stop) stops every running process, then exits.
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  }
}
