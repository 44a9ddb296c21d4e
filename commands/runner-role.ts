/**
 * `peers runner`: its flags (plain data, see src/cli/role-flags.ts) and what it does with them.
 * src/main.ts runs it without loading oclif; runner.ts is its oclif command (help, errors).
 */
import { Bridge, parseBridgeTarget } from '../proxy/bridge.ts';
import { REPO_IN_CONTAINER } from '../sandbox/pod-spec.ts';
import { startRunnerServer } from '../sandbox/runner-server.ts';
import { InputError } from '../src/cli/errors.ts';
import type { FlagSpecs, FlagValues } from '../src/cli/role-flags.ts';

export const RUNNER_FLAGS = {
  socket: { kind: 'string', description: 'Filesystem Unix socket to listen on (created 0600).', exactlyOne: ['socket', 'probe-gates'] },
  'probe-gates': { kind: 'boolean', description: 'Evaluate the gate probe request on stdin and print the results (JSON).' },
  repo: { kind: 'string', description: 'Repository for --probe-gates (read-only is fine).', default: REPO_IN_CONTAINER },
  'gate-cache': { kind: 'string', description: 'Gate result cache file for --probe-gates.', env: 'PEERS_GATE_CACHE' },
  bridge: {
    kind: 'string',
    description: 'Also carry HOST:PORT on this container\'s own loopback to TARGET (unix:PATH of the egress proxy), so processes here get a proxy without sharing a loopback with anyone.',
    helpValue: 'HOST:PORT=unix:PATH',
  },
} as const satisfies FlagSpecs;

export async function runRunner(flags: FlagValues<typeof RUNNER_FLAGS>): Promise<void> {
  if (flags['probe-gates']) {
    // Loaded only here: the gate engine and its schemas are no part of the long-running runner.
    const { runGateProbe } = await import('../sandbox/gates-remote.ts');
    const results = await runGateProbe(JSON.parse(await Bun.stdin.text()), flags.repo, flags['gate-cache']);
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  const bridge = flags.bridge ? await startBridge(flags.bridge) : undefined;
  const server = await startRunnerServer({ socketPath: flags.socket!, log: (l) => process.stderr.write(`peers runner: ${l}\n`) });
  // PID 1 of its container: SIGTERM (podman stop) stops every running process, then exits.
  await new Promise<void>((resolve) => {
    const stop = () => void Promise.all([server.close(), bridge?.close()]).then(() => resolve());
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

async function startBridge(spec: string): Promise<Bridge> {
  const [listen, target] = spec.split('=', 2) as [string, string | undefined];
  const m = /^([\d.]+):(\d{1,5})$/.exec(listen);
  const to = target ? parseBridgeTarget(target) : null;
  if (!m || !to) throw new InputError(`--bridge must be HOST:PORT=unix:PATH (or =HOST:PORT), got ${spec}`);
  const bridge = new Bridge(to);
  await bridge.listen(m[1]!, Number(m[2]));
  return bridge;
}
