import { oclifFlags } from '../../src/cli/oclif-flags.ts';
import { BaseCommand } from '../base.ts';
import { EGRESS_FLAGS, runEgressSidecar } from './egress-role.ts';

export default class SidecarEgress extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run the egress allow-list proxy (internal).';
  static override description =
    'Run the egress allow-list proxy (HTTP CONNECT and plain HTTP) that is the pod\'s only way out: allowed names only, resolved and checked against private, loopback, link-local and metadata addresses, every decision written to a JSONL audit log.';
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> sidecar egress --listen unix:/run/peers/egress.sock --config .peers/config.yaml --audit-log ~/.local/state/peers/demo/egress.jsonl',
    '<%= config.bin %> sidecar egress --listen 127.0.0.1:3128 --allow registry.npmjs.org --allow "*.githubusercontent.com"',
    '<%= config.bin %> sidecar egress --listen unix:/run/peers/egress/workspace.sock --vendor-listen unix:/run/peers/egress-auth/auth.sock --config snapshot/config.yaml',
  ];
  static override flags = oclifFlags(EGRESS_FLAGS);

  async run(): Promise<void> {
    const { flags } = await this.parse(SidecarEgress);
    await runEgressSidecar(flags, this.io);
  }
}
