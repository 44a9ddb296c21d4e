import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError, PeersError } from '../src/cli/errors.ts';
import { parseListen } from '../src/model-server/listen-address.ts';
import { loadScenarioFile } from '../src/model-server/load-scenario.ts';
import { startModelServer } from '../src/model-server/server.ts';
import { untilStopSignal } from '../src/cli/stop-signal.ts';
import { roleReady } from '../sandbox/lifeline.ts';
import { BaseCommand } from './base.ts';

export default class ModelServer extends BaseCommand {
  static override controlsRuns = true;
  static override summary = 'Run the scripted model server for offline rehearsals.';
  static override description =
    'Run the scripted model server: answers the Anthropic Messages API and the OpenAI Responses API from a scenario file, so the real claude and codex CLIs can be rehearsed offline.';
  static override hidden = true;
  static override examples = [
    '<%= config.bin %> model-server --scenario test/fixtures/scenarios/rehearsal.yaml --listen 127.0.0.1:8089',
    '<%= config.bin %> model-server --scenario rehearsal.yaml --socket /run/peers/model.sock --log served.jsonl',
  ];
  static override flags = {
    scenario: Flags.file({ description: 'Scenario YAML: what the model does for each peer and tick.', required: true, exists: false }),
    listen: Flags.string({ description: 'TCP address HOST:PORT (port 0 picks a free one).', default: '127.0.0.1:8089', exclusive: ['socket'] }),
    socket: Flags.string({ description: 'Listen on this Unix socket path instead of TCP.' }),
    log: Flags.string({ description: 'Append one JSON line per request served (usage, cost, fault) to this file.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ModelServer);
    const scenario = loadScenarioFile(flags.scenario);
    if (flags.log && !existsSync(dirname(resolve(flags.log)))) {
      throw new InputError(`--log ${flags.log}: directory ${dirname(resolve(flags.log))} does not exist`, { hint: 'create it first, or log to an existing directory' });
    }
    const address = flags.socket ? {} : parseListen(flags.listen);
    let handle: ReturnType<typeof startModelServer>;
    try {
      handle = startModelServer({ scenario, ...address, socketPath: flags.socket, logFile: flags.log });
    } catch (error) {
      // A port in use or an address this host does not have: the operation failed (exit 1), not peers.
      throw new PeersError(`cannot listen on ${flags.socket ? `unix:${flags.socket}` : flags.listen}: ${(error as Error).message}`, { hint: 'pick another address or port (port 0 picks a free one)' });
    }
    this.log(`peers model-server listening on ${handle.url ?? `unix:${handle.socketPath}`} (${Object.keys(scenario.peers).length} peer(s): ${Object.keys(scenario.peers).join(', ')})`);
    this.log(`point a peer at it with ANTHROPIC_BASE_URL=${handle.url ?? 'http://…'}/peer/<name> (claude) or a codex model_providers entry (base_url …/peer/<name>/v1)`);
    // Serving: the loop may count this container as up (sandbox/lifeline.ts).
    roleReady();
    await untilStopSignal(this.io.signals);
    await handle.stop();
  }
}
