/**
 * `peers runner`: its flags (plain data, see src/cli/role-flags.ts) and what it does with them.
 * src/main.ts runs it without loading oclif; runner.ts is its oclif command (help, errors).
 */
import { Bridge, parseBridgeTarget } from '../proxy/bridge.ts';
import { CHECKOUTS_IN_CONTAINER, DEP_CACHE_IN_CONTAINER, MIRROR_IN_CONTAINER } from '../sandbox/pod-layout.ts';
import { takeRunnerKey } from '../sandbox/runner-key.ts';
import { startRunnerServer } from '../sandbox/runner-server.ts';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { becomeNonDumpable } from '../src/proc/non-dumpable.ts';
import { text } from 'node:stream/consumers';
import { processIO, type CommandIO } from '../src/cli/command-io.ts';
import type { FlagSpecs, FlagValues } from '../src/cli/role-flags.ts';
import { untilStopSignal } from '../src/cli/stop-signal.ts';
import { roleReady } from '../sandbox/lifeline.ts';
import { jsonForTerminal } from '../src/cli/terminal-text.ts';

export const RUNNER_FLAGS = {
  socket: { kind: 'string', description: 'Filesystem Unix socket to listen on (created 0600).', exactlyOne: ['socket', 'probe-gates', 'prepare-checkout'] },
  'prepare-checkout': { kind: 'boolean', description: 'Check out the requested HEAD from the mirror under --checkouts and run setup there (JSON in, JSON out).' },
  'probe-gates': { kind: 'boolean', description: 'Evaluate the gate probe request on stdin and print the results (JSON).' },
  mirror: { kind: 'string', description: 'The trusted mirror to check out from (read-only is fine).', default: MIRROR_IN_CONTAINER },
  checkouts: { kind: 'string', description: 'Directory holding gate checkouts.', default: CHECKOUTS_IN_CONTAINER },
  'dep-cache': { kind: 'string', description: 'Dependency cache for setup (npm, pip…).', default: DEP_CACHE_IN_CONTAINER },
  'key-dir': { kind: 'string', description: 'Wait for the per-run key `peers up` leaves in this directory, take it (the file is removed) and seal every message with it (sandbox/runner-seal.ts).' },
  'reap-leftovers': { kind: 'boolean', description: 'Before and after every request, kill every process of this container that no live request started (the pod\'s setup and gates runners; only for a container\'s main process).' },
  'reap-after-turns': { kind: 'boolean', description: 'After every peer turn, kill every process of this container that no live request started (the pod\'s workspace runner: nothing a turn leaves runs into the next; only for a container\'s main process).' },
  bridge: {
    kind: 'string',
    description: 'Also carry HOST:PORT on this container\'s own loopback to TARGET (unix:PATH of the egress proxy), so processes here get a proxy without sharing a loopback with anyone.',
    helpValue: 'HOST:PORT=unix:PATH',
  },
} as const satisfies FlagSpecs;

/** How long a runner waits for its key: `peers up` writes it before it starts the runner's container. */
const RUNNER_KEY_WAIT_MS = 10 * 60_000;

export async function runRunner(flags: FlagValues<typeof RUNNER_FLAGS>, io: CommandIO = processIO()): Promise<void> {
  // Before anything else, in every mode (the gate probe computes verdicts): the peers' code, run by
  // this process as the same user, must not be able to trace it or rewrite its memory. Fail closed.
  try {
    becomeNonDumpable();
  } catch (e) {
    throw new PeersError(`peers runner: cannot protect itself from the processes it runs (${(e as Error).message}); refusing to start`);
  }
  // Loaded only for these one-shot modes: the gate engine and its schemas are no part of the long-running runner.
  if (flags['prepare-checkout']) {
    const { runPrepareCheckout } = await import('../sandbox/gates-remote.ts');
    const prepared = await runPrepareCheckout(stdinRequest('--prepare-checkout', await text(io.stdin), '{"head", "setup"}'), { mirror: flags.mirror, checkouts: flags.checkouts, depCache: flags['dep-cache'] });
    io.stdout.write(`${jsonForTerminal(JSON.stringify(prepared))}\n`);
    return;
  }
  if (flags['probe-gates']) {
    const { runGateProbe } = await import('../sandbox/gates-remote.ts');
    const results = await runGateProbe(stdinRequest('--probe-gates', await text(io.stdin), '{"dir", "head", "goals", "timeoutS", "jobs"}'), { checkouts: flags.checkouts, mirror: flags.mirror });
    io.stdout.write(`${jsonForTerminal(JSON.stringify(results))}\n`);
    return;
  }
  // It kills every process it did not start: only as the main process of a container (its parent
  // is the container's init, PID 1), never from a shell on a host.
  for (const flag of ['reap-leftovers', 'reap-after-turns'] as const) {
    if (flags[flag] && process.ppid !== 1) throw new InputError(`--${flag} kills every process of its pid namespace it did not start: only for the main process of a container (parent PID 1)`, { hint: 'peers up passes it to the runners of the pod; run peers runner without it' });
  }
  const bridge = flags.bridge ? await startBridge(flags.bridge) : undefined;
  // The key is taken before the socket listens, so before any request (any peer or gate code) runs.
  const key = flags['key-dir'] ? await takeRunnerKey(flags['key-dir'], RUNNER_KEY_WAIT_MS) : undefined;
  const server = await startRunnerServer({ socketPath: flags.socket!, reapLeftovers: flags['reap-leftovers'], reapAfterTurns: flags['reap-after-turns'], key, log: (l) => io.stderr.write(`peers runner: ${l}\n`) });
  // Serving: the loop may count this container as up (sandbox/lifeline.ts).
  roleReady();
  // PID 1 of its container: SIGTERM (podman stop) stops every running process, then exits.
  await untilStopSignal(io.signals);
  await Promise.all([server.close(), bridge?.close()]);
}

/** A request on stdin: JSON, or bad input (its shape is checked by the function it is for). */
function stdinRequest(flag: string, text: string, shape: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${flag}: the request on stdin is not JSON (${(error as Error).message})`, { hint: `send ${shape} as one JSON document` });
  }
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
