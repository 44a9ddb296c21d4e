import { oclifFlags } from '../../src/cli/oclif-flags.ts';
import { BaseCommand } from '../base.ts';
import { BRIDGE_FLAGS, runBridgeSidecar } from './bridge-role.ts';

export default class SidecarBridge extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Carry the pod\'s TCP connections to the egress proxy (internal).';
  static override description = 'Carry TCP connections from a loopback port to the egress proxy\'s Unix socket, byte for byte (the pod has no other way out).';
  static override hidden = true;
  static override examples = ['<%= config.bin %> sidecar bridge --listen 127.0.0.1:3128 --to unix:/run/peers/egress.sock'];
  static override flags = oclifFlags(BRIDGE_FLAGS);

  async run(): Promise<void> {
    const { flags } = await this.parse(SidecarBridge);
    await runBridgeSidecar(flags, this.io);
  }
}
