import { Flags } from '@oclif/core';
import { Bridge, parseBridgeTarget } from '../proxy/bridge.ts';
import { runGateProbe } from '../sandbox/gates-remote.ts';
import { REPO_IN_CONTAINER } from '../sandbox/pod-spec.ts';
import { startRunnerServer } from '../sandbox/runner-server.ts';
import { InputError } from '../src/cli/errors.ts';
import { BaseCommand } from './base.ts';

export default class Runner extends BaseCommand {
  static override controlsRuns = true;
  static override description = `Run processes for the loop inside a sandbox container (internal). Listens on a Unix socket for
the runner protocol (sandbox/runner-protocol.ts) until SIGTERM. With --probe-gates, instead
evaluates the hard goals given as JSON on stdin on a fresh read-only clone of HEAD and prints the
results as JSON (what the gates container runs for the loop).`;
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> runner --socket /run/peers/workspace/runner.sock',
    '<%= config.bin %> runner --socket /run/peers/gates/runner.sock --bridge 127.0.0.1:3128=unix:/run/peers/egress/egress.sock',
    'echo \'{"head":"…","goals":[…],"timeoutS":120,"jobs":4}\' | <%= config.bin %> runner --probe-gates --repo /work',
  ];
  static override flags = {
    socket: Flags.string({ description: 'Filesystem Unix socket to listen on (created 0600).', exactlyOne: ['socket', 'probe-gates'] }),
    'probe-gates': Flags.boolean({ description: 'Evaluate the gate probe request on stdin and print the results (JSON).' }),
    repo: Flags.string({ description: 'Repository for --probe-gates (read-only is fine).', default: REPO_IN_CONTAINER }),
    'gate-cache': Flags.string({ description: 'Gate result cache file for --probe-gates.', env: 'PEERS_GATE_CACHE' }),
    bridge: Flags.string({
      description: 'Also carry HOST:PORT on this container\'s own loopback to TARGET (unix:PATH of the egress proxy), so processes here get a proxy without sharing a loopback with anyone.',
      helpValue: 'HOST:PORT=unix:PATH',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Runner);
    if (flags['probe-gates']) {
      const results = await runGateProbe(probeRequest(await Bun.stdin.text()), flags.repo, flags['gate-cache']);
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
}

/** The gate probe request on stdin: JSON, or bad input (its shape is checked by runGateProbe). */
function probeRequest(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`--probe-gates: the request on stdin is not JSON (${(error as Error).message})`, { hint: 'send {"head", "goals", "timeoutS", "jobs"} as one JSON document' });
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
