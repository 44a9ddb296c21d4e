/**
 * `peers sidecar egress`: its flags (plain data, see src/cli/role-flags.ts) and what it does with
 * them. src/main.ts runs it without loading oclif; egress.ts is its oclif command (help, errors).
 */
import { startEgressSidecar } from '../../proxy/egress-sidecar.ts';
import type { FlagSpecs, FlagValues } from '../../src/cli/role-flags.ts';
import { DEFAULT_LOG_CAP_BYTES, MIN_CAP_BYTES } from '../../src/fs/size-capped-log.ts';
import { processIO, type CommandIO } from '../../src/cli/command-io.ts';
import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { roleReady } from '../../sandbox/lifeline.ts';

export const EGRESS_FLAGS = {
  listen: { kind: 'string', description: 'Where to listen: HOST:PORT or unix:PATH.', default: '127.0.0.1:3128' },
  'vendor-listen': { kind: 'string', description: 'A second listener (unix:PATH) for the auth sidecar alone: the vendor API hosts are then served only there, and --listen gets only the project\'s entries.' },
  'gates-listen': { kind: 'string', description: 'Another listener (unix:PATH) with --listen\'s allow-list and caps of its own, for the setup and gates runners: a flood on --listen cannot starve them, nor theirs the workspace.' },
  config: { kind: 'string', description: 'A peers config.yaml whose egress.allow entries are added to the defaults.' },
  'allow-file': { kind: 'string', description: 'A file of extra allow-list entries, one per line (# comments).' },
  allow: { kind: 'strings', description: 'An extra allow-list entry: "host", "*.suffix", optionally ":port".', default: [] },
  'vendor-allow': { kind: 'strings', description: 'A provider host for the auth sidecar ("host", optionally ":port"): served with the vendor hosts, so only on --vendor-listen when it is given.', default: [] },
  'oauth-hosts': { kind: 'boolean', description: 'Also allow the OAuth token endpoints the auth sidecar refreshes against.' },
  'vendor-hosts': { kind: 'boolean', description: 'Serve the vendor API hosts (api.anthropic.com, api.openai.com, chatgpt.com). --no-vendor-hosts: none at all, for a pod whose model is a server inside it (demo, rehearsals).', default: true, allowNo: true },
  'audit-log': { kind: 'string', description: 'Append audit records to this JSONL file (default: stdout). It is rotated to FILE.1 at half the size cap.' },
  'audit-log-max-bytes': { kind: 'integer', description: 'The audit log\'s cap on disk, both files together; older records are dropped and counted.', default: DEFAULT_LOG_CAP_BYTES, min: MIN_CAP_BYTES },
  'max-tunnels': { kind: 'integer', description: 'Concurrent tunnels before new ones get 503.', default: 256, min: 1 },
  'idle-timeout-s': { kind: 'integer', description: 'Close a tunnel idle this long in both directions.', default: 300, min: 1 },
  'header-timeout-s': { kind: 'integer', description: 'A client must send its request head within this time.', default: 10, min: 1 },
  // Hidden and refused without PEERS_EGRESS_TEST_MODE=1: see proxy/test-resolve.ts and SECURITY.md.
  'test-resolve': { kind: 'strings', hidden: true, default: [], description: 'TEST ONLY: resolve NAME to IP and exempt IP from the address guard (needs PEERS_EGRESS_TEST_MODE=1).' },
} as const satisfies FlagSpecs;

export async function runEgressSidecar(flags: FlagValues<typeof EGRESS_FLAGS>, io: CommandIO = processIO()): Promise<void> {
  const sidecar = await startEgressSidecar(
    {
      listen: flags.listen, vendorListen: flags['vendor-listen'], gatesListen: flags['gates-listen'], configPath: flags.config, allowFile: flags['allow-file'], allow: flags.allow, oauthHosts: flags['oauth-hosts'] ?? false, vendorAllow: flags['vendor-allow'], vendorHosts: flags['vendor-hosts'], auditLog: flags['audit-log'], auditLogMaxBytes: flags['audit-log-max-bytes'],
      limits: { maxTunnels: flags['max-tunnels'], idleTimeoutMs: flags['idle-timeout-s'] * 1000, headerTimeoutMs: flags['header-timeout-s'] * 1000 },
      testResolve: flags['test-resolve'],
    },
    (line) => io.stdout.write(`${line}\n`),
  );
  if (flags['test-resolve'].length) io.stderr.write(`peers egress proxy: TEST MODE, resolving ${flags['test-resolve'].join(', ')} from a table (never in a real run)\n`);
  for (const l of sidecar.listeners) {
    const allowed = l.policy.entries.map((e) => e.pattern).join(', ') || 'nothing';
    io.stderr.write(`peers egress proxy (${l.name}) listening on ${l.address}; allowed: ${allowed}\n`);
  }
  // Serving: the loop may count this container as up (sandbox/lifeline.ts).
  roleReady();
  await untilStopSignal(io.signals);
  await sidecar.stop();
}
