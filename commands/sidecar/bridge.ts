import { Flags } from '@oclif/core';
import { InputError } from '../../src/cli/errors.ts';
import { Bridge, parseBridgeTarget } from '../../proxy/bridge.ts';
import { parseListenTarget } from '../../proxy/egress-sidecar.ts';
import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { BaseCommand } from '../base.ts';

export default class SidecarBridge extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Carry the pod\'s TCP connections to the egress proxy (internal).';
  static override description = 'Carry TCP connections from a loopback port to the egress proxy\'s Unix socket, byte for byte (the pod has no other way out).';
  static override hidden = true;
  static override examples = ['<%= config.bin %> sidecar bridge --listen 127.0.0.1:3128 --to unix:/run/peers/egress.sock'];
  static override flags = {
    listen: Flags.string({ description: 'TCP address to listen on, HOST:PORT.', default: '127.0.0.1:3128' }),
    to: Flags.string({ description: 'Where to carry each connection: unix:PATH or HOST:PORT.', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SidecarBridge);
    const listen = parseListenTarget(flags.listen);
    if ('path' in listen) throw new InputError(`--listen ${flags.listen}: the bridge listens on TCP (HOST:PORT)`);
    const to = parseBridgeTarget(flags.to);
    if (!to) throw new InputError(`--to ${flags.to}: expected unix:PATH or HOST:PORT`);
    const bridge = new Bridge(to);
    const port = await bridge.listen(listen.host, listen.port);
    this.io.stderr.write(`peers bridge ${listen.host}:${port} -> ${flags.to}\n`);
    await untilStopSignal(this.io.signals);
    await bridge.close();
  }
}
