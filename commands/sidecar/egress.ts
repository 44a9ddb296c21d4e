import { Flags } from '@oclif/core';
import { startEgressSidecar } from '../../proxy/egress-sidecar.ts';
import { DEFAULT_LOG_CAP_BYTES, MIN_CAP_BYTES } from '../../src/fs/size-capped-log.ts';
import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { BaseCommand } from '../base.ts';

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
  static override flags = {
    listen: Flags.string({ description: 'Where to listen: HOST:PORT or unix:PATH.', default: '127.0.0.1:3128' }),
    'vendor-listen': Flags.string({ description: 'A second listener (unix:PATH) for the auth sidecar alone: the vendor API hosts are then served only there, and --listen gets only the project\'s entries.' }),
    config: Flags.string({ description: 'A peers config.yaml whose egress.allow entries are added to the defaults.' }),
    'allow-file': Flags.string({ description: 'A file of extra allow-list entries, one per line (# comments).' }),
    allow: Flags.string({ description: 'An extra allow-list entry: "host", "*.suffix", optionally ":port".', multiple: true, default: [] }),
    'vendor-allow': Flags.string({ description: 'A provider host for the auth sidecar ("host", optionally ":port"): served with the vendor hosts, so only on --vendor-listen when it is given.', multiple: true, default: [] }),
    'oauth-hosts': Flags.boolean({ description: 'Also allow the OAuth token endpoints the auth sidecar refreshes against.' }),
    'vendor-hosts': Flags.boolean({ description: 'Serve the vendor API hosts (api.anthropic.com, api.openai.com, chatgpt.com). --no-vendor-hosts: none at all, for a pod whose model is a server inside it (demo, rehearsals).', default: true, allowNo: true }),
    'audit-log': Flags.string({ description: 'Append audit records to this JSONL file (default: stdout). It is rotated to FILE.1 at half the size cap.' }),
    'audit-log-max-bytes': Flags.integer({ description: 'The audit log\'s cap on disk, both files together; older records are dropped and counted.', default: DEFAULT_LOG_CAP_BYTES, min: MIN_CAP_BYTES }),
    'max-tunnels': Flags.integer({ description: 'Concurrent tunnels before new ones get 503.', default: 256, min: 1 }),
    'idle-timeout-s': Flags.integer({ description: 'Close a tunnel idle this long in both directions.', default: 300, min: 1 }),
    'header-timeout-s': Flags.integer({ description: 'A client must send its request head within this time.', default: 10, min: 1 }),
    // Hidden and refused without PEERS_EGRESS_TEST_MODE=1: see proxy/test-resolve.ts and SECURITY.md.
    'test-resolve': Flags.string({ hidden: true, multiple: true, default: [], description: 'TEST ONLY: resolve NAME to IP and exempt IP from the address guard (needs PEERS_EGRESS_TEST_MODE=1).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SidecarEgress);
    const sidecar = await startEgressSidecar(
      {
        listen: flags.listen, vendorListen: flags['vendor-listen'], configPath: flags.config, allowFile: flags['allow-file'], allow: flags.allow, oauthHosts: flags['oauth-hosts'], vendorAllow: flags['vendor-allow'], vendorHosts: flags['vendor-hosts'], auditLog: flags['audit-log'], auditLogMaxBytes: flags['audit-log-max-bytes'],
        limits: { maxTunnels: flags['max-tunnels'], idleTimeoutMs: flags['idle-timeout-s'] * 1000, headerTimeoutMs: flags['header-timeout-s'] * 1000 },
        testResolve: flags['test-resolve'],
      },
      (line) => this.io.stdout.write(`${line}\n`),
    );
    if (flags['test-resolve'].length) this.io.stderr.write(`peers egress proxy: TEST MODE, resolving ${flags['test-resolve'].join(', ')} from a table (never in a real run)\n`);
    for (const l of sidecar.listeners) {
      const allowed = l.policy.entries.map((e) => e.pattern).join(', ') || 'nothing';
      this.io.stderr.write(`peers egress proxy (${l.name}) listening on ${l.address}; allowed: ${allowed}\n`);
    }
    await untilStopSignal(this.io.signals);
    await sidecar.stop();
  }
}
