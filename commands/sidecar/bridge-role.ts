/**
 * `peers sidecar bridge`: its flags (plain data, see src/cli/role-flags.ts) and what it does with
 * them. src/main.ts runs it without loading oclif; bridge.ts is its oclif command (help, errors).
 */
import { Bridge, parseBridgeTarget } from '../../proxy/bridge.ts';
import { parseListenTarget } from '../../proxy/listen-target.ts';
import { InputError } from '../../src/cli/errors.ts';
import type { FlagSpecs, FlagValues } from '../../src/cli/role-flags.ts';
import { processIO, type CommandIO } from '../../src/cli/command-io.ts';
import { untilStopSignal } from '../../src/cli/stop-signal.ts';
import { roleReady } from '../../sandbox/lifeline.ts';

export const BRIDGE_FLAGS = {
  listen: { kind: 'string', description: 'TCP address to listen on, HOST:PORT.', default: '127.0.0.1:3128' },
  to: { kind: 'string', description: 'Where to carry each connection: unix:PATH or HOST:PORT.', required: true },
} as const satisfies FlagSpecs;

export async function runBridgeSidecar(flags: FlagValues<typeof BRIDGE_FLAGS>, io: CommandIO = processIO()): Promise<void> {
  const listen = parseListenTarget(flags.listen);
  if ('path' in listen) throw new InputError(`--listen ${flags.listen}: the bridge listens on TCP (HOST:PORT)`);
  const to = parseBridgeTarget(flags.to);
  if (!to) throw new InputError(`--to ${flags.to}: expected unix:PATH or HOST:PORT`);
  const bridge = new Bridge(to);
  const port = await bridge.listen(listen.host, listen.port);
  io.stderr.write(`peers bridge ${listen.host}:${port} -> ${flags.to}\n`);
  // Serving: the loop may count this container as up (sandbox/lifeline.ts).
  roleReady();
  await untilStopSignal(io.signals);
  await bridge.close();
}
