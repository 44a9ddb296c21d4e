import { Flags } from '@oclif/core';
import { text } from 'node:stream/consumers';
import { Bridge, parseBridgeTarget } from '../proxy/bridge.ts';
import { runGateProbe, runPrepareCheckout } from '../sandbox/gates-remote.ts';
import { CHECKOUTS_IN_CONTAINER, DEP_CACHE_IN_CONTAINER, MIRROR_IN_CONTAINER } from '../sandbox/pod-spec.ts';
import { startRunnerServer } from '../sandbox/runner-server.ts';
import { InputError } from '../src/cli/errors.ts';
import { untilStopSignal } from '../src/cli/stop-signal.ts';
import { BaseCommand } from './base.ts';

export default class Runner extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run processes for the loop inside a sandbox container (internal).';
  static override description = `Run processes for the loop inside a sandbox container (internal). Listens on a Unix socket for
the runner protocol (sandbox/runner-protocol.ts) until SIGTERM. With --prepare-checkout (the setup
container), checks out the HEAD given as JSON on stdin from the trusted mirror and runs the
project's setup there; with --probe-gates (the gates container), evaluates the hard goals on that
checkout. Both print JSON.`;
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> runner --socket /run/peers/workspace/runner.sock',
    '<%= config.bin %> runner --socket /run/peers/gates/runner.sock --bridge 127.0.0.1:3128=unix:/run/peers/egress/egress.sock',
    'echo \'{"head":"…","setup":"npm ci"}\' | <%= config.bin %> runner --prepare-checkout',
    'echo \'{"dir":"/checkouts/c-x/tree","head":"…","goals":[…],"timeoutS":120,"jobs":4}\' | <%= config.bin %> runner --probe-gates',
  ];
  static override flags = {
    socket: Flags.string({ description: 'Filesystem Unix socket to listen on (created 0600).', exactlyOne: ['socket', 'probe-gates', 'prepare-checkout'] }),
    'prepare-checkout': Flags.boolean({ description: 'Check out the requested HEAD from the mirror under --checkouts and run setup there (JSON in, JSON out).' }),
    'probe-gates': Flags.boolean({ description: 'Evaluate the gate probe request on stdin and print the results (JSON).' }),
    mirror: Flags.string({ description: 'The trusted mirror to check out from (read-only is fine).', default: MIRROR_IN_CONTAINER }),
    checkouts: Flags.string({ description: 'Directory holding gate checkouts.', default: CHECKOUTS_IN_CONTAINER }),
    'dep-cache': Flags.string({ description: 'Dependency cache for setup (npm, pip…).', default: DEP_CACHE_IN_CONTAINER }),
    bridge: Flags.string({
      description: 'Also carry HOST:PORT on this container\'s own loopback to TARGET (unix:PATH of the egress proxy), so processes here get a proxy without sharing a loopback with anyone.',
      helpValue: 'HOST:PORT=unix:PATH',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Runner);
    if (flags['prepare-checkout']) {
      const prepared = await runPrepareCheckout(stdinRequest('--prepare-checkout', await text(this.io.stdin), '{"head", "setup"}'), { mirror: flags.mirror, checkouts: flags.checkouts, depCache: flags['dep-cache'] });
      this.io.stdout.write(`${JSON.stringify(prepared)}\n`);
      return;
    }
    if (flags['probe-gates']) {
      const results = await runGateProbe(stdinRequest('--probe-gates', await text(this.io.stdin), '{"dir", "head", "goals", "timeoutS", "jobs"}'), { checkouts: flags.checkouts });
      this.io.stdout.write(`${JSON.stringify(results)}\n`);
      return;
    }
    const bridge = flags.bridge ? await startBridge(flags.bridge) : undefined;
    const server = await startRunnerServer({ socketPath: flags.socket!, log: (l) => this.io.stderr.write(`peers runner: ${l}\n`) });
    // PID 1 of its container: SIGTERM (podman stop) stops every running process, then exits.
    await untilStopSignal(this.io.signals);
    await Promise.all([server.close(), bridge?.close()]);
  }
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
