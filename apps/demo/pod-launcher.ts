/**
 * The demo in the sandbox pod (docs/ARCHITECTURE.md, Processes and trust boundaries): `peers up` (sandbox/up.ts) creates the pod and
 * starts the loop; the scripted model server joins the pod as one more container on its loopback,
 * standing in for the vendors, so the peers' API traffic never leaves the pod. `peers down` removes
 * everything at the end. The state directory is the project's default one, so `peers status`,
 * `peers report` and `peers logs` work on the demo project without flags.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';
import { MiB, readTextIfExists } from '../../src/fs/safe-read.ts';
import { ServedLog, type ServedRecord } from '../../src/model-server/served-log.ts';
import { projectKey, stateDirFor, statePaths } from '../../src/state/paths.ts';
import { exitCodeFor, parseStopReason, readStopReason } from '../../src/state/stop-reason.ts';
import { down } from '../../sandbox/down.ts';
import { WORKSPACE_IMAGE } from '../../sandbox/image.ts';
import { AUTH_OPENAI_PORT, AUTH_PORT, containerName, gatesCacheVolume, REPO_IN_CONTAINER } from '../../sandbox/pod-layout.ts';
import { imageExists, podman, podmanBin } from '../../sandbox/podman.ts';
import { hostBinary } from '../../sandbox/pod-plan.ts';
import { up } from '../../sandbox/up.ts';
import { updateRegistry } from '../../sandbox/registry.ts';
import { DEMO_GOALS_YAML, DEMO_PEERS, demoConfigYaml } from './demo-config.ts';
import { writeDemoScenario } from './demo-scenario.ts';
import type { DemoContext, DemoLauncher, DemoLayout, DemoRunResult } from './launcher.ts';
import { ProgressWatcher } from './progress.ts';
import { isRoot } from './run-as-user.ts';
import { writeSampleProject } from './sample-project.ts';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';
import { shellCommand } from '../../src/cli/shell-word.ts';

const DEMO_HOMES_IN_GIT = '.git/peers-demo-homes';
const RUN_DEADLINE_MS = 10 * 60_000;
const POLL_MS = 500;

export class PodLauncher implements DemoLauncher {
  readonly kind = 'pod' as const;

  /** Each project's key, taken while it exists (it is a realpath): `discard` runs after it is gone. */
  private readonly keys = new Map<string, string>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async unavailableReason(): Promise<string | null> {
    if (!Bun.which(podmanBin(this.env), { PATH: this.env.PATH ?? '' })) return 'podman is not installed (install podman, then run `peers image build`)';
    // Rootful, the peers would run as uid 0 in the pod, and Claude Code refuses to run unattended as root.
    if (isRoot()) return 'the sandbox pod is rootless and this is root (run `peers demo` as a normal user, after `peers image build` as that user)';
    if (!(await imageExists(WORKSPACE_IMAGE, this.env))) return `the workspace image ${WORKSPACE_IMAGE} is missing (build it once: \`peers image build\`)`;
    try {
      hostBinary();
    } catch (error) {
      return (error as Error).message;
    }
    return null;
  }

  async run(ctx: DemoContext): Promise<DemoRunResult> {
    const { layout } = ctx;
    // The CLIs' homes live in the run clone's .git/ (made before the loop starts): git never
    // reports it as a change, and codex refuses to start without an existing, writable CODEX_HOME.
    const homes = { claude: `${REPO_IN_CONTAINER}/${DEMO_HOMES_IN_GIT}/claude`, codex: `${REPO_IN_CONTAINER}/${DEMO_HOMES_IN_GIT}/codex` };
    writeSampleProject(layout.project, {
      // Through the auth sidecar (which `up` points at the model server): the run is metered and
      // budgeted exactly as a real one.
      configYaml: demoConfigYaml({ serverUrl: { claude: `http://127.0.0.1:${AUTH_PORT}`, codex: `http://127.0.0.1:${AUTH_OPENAI_PORT}` }, bins: { claude: 'claude', codex: 'codex' }, homes }),
      goalsYaml: DEMO_GOALS_YAML,
    });
    const serverDir = dirname(writeDemoScenario(layout.project));
    const key = projectKey(layout.project);
    this.keys.set(layout.project, key);
    const stateDir = stateDirFor(layout.project, ctx.env);
    const started = new Date();

    ctx.note('starting the sandbox pod (peers up)');
    // The demo talks to no vendor: the auth sidecar gets no credential, whatever the caller has set.
    const env = Object.fromEntries(Object.entries(ctx.env).filter(([k]) => !/(API_KEY|AUTH_TOKEN)$/.test(k)));
    const prepareClone = (clone: string) => {
      for (const peer of DEMO_PEERS) mkdirSync(join(clone, DEMO_HOMES_IN_GIT, peer, peer === 'codex' ? '.codex' : ''), { recursive: true, mode: 0o700 });
    };
    // The model server is a pod member (sandbox/pod-spec.ts), started and heard listening before the loop.
    await up({ target: layout.project, allow: [], progress: (line) => ctx.note(line), env, upstream: 'model-server', modelServerDir: serverDir, prepareClone });
    let result: DemoRunResult | undefined;
    try {
      const stop = await this.waitForStop(stateDir, started, ctx);
      const logs = await podman(['logs', '--tail', '40', containerName(key, 'loop')], { env: ctx.env });
      result = { stateDir, loopExitCode: stop ? exitCodeFor(parseStopReason(stop)) : null, stopReason: stop, served: servedTotals(join(serverDir, 'served.jsonl')), loopOutputTail: `${logs.stdout}${logs.stderr}`.slice(-4000) };
    } finally {
      const d = await down({ target: layout.project, graceS: 5, progress: (line) => ctx.note(line), env: ctx.env });
      // The peers' commits came back as a branch of the project (down published it).
      if (result && d.results?.sha) result.resultsBranch = d.results.branch;
    }
    return result;
  }

  /**
   * The state directory, the gate dependency cache volume and the registry entry `peers up` made
   * for the project. `down` keeps the cache for the next `up`; a discarded demo has no next `up`,
   * and each demo directory is a new project, so a kept cache would be one more volume per demo.
   */
  async discard(layout: DemoLayout, stateDir: string): Promise<void> {
    rmSync(stateDir, { recursive: true, force: true });
    const key = this.keys.get(layout.project);
    if (key) await podman(['volume', 'rm', '-f', gatesCacheVolume(key)], { env: this.env });
    await updateRegistry((projects) => {
      const at = projects.findIndex((p) => p.path === layout.project);
      if (at >= 0) projects.splice(at, 1);
    }, this.env);
  }

  /** Follows the run through the state directory until the loop writes a stop reason. */
  private async waitForStop(stateDir: string, started: Date, ctx: DemoContext): Promise<string | null> {
    const watcher = new ProgressWatcher(stateDir, ctx.progress);
    const deadline = Date.now() + RUN_DEADLINE_MS;
    while (Date.now() < deadline && !ctx.signal.aborted) {
      watcher.poll();
      const stop = readStopReason(statePaths(stateDir).stopReason);
      if (stop && new Date(stop.at) >= started) {
        watcher.poll(true);
        return stop.reason;
      }
      await Bun.sleep(POLL_MS);
    }
    if (ctx.signal.aborted) return null;
    throw new PeersError(`the demo run did not finish within ${RUN_DEADLINE_MS / 60_000} minutes`, { hint: shellCommand('peers', 'logs', stateDir) });
  }
}

/** Sums the model server's JSONL log the same way its in-memory log would. */
function servedTotals(logFile: string): DemoRunResult['served'] {
  const log = new ServedLog();
  for (const line of (readTextIfExists(logFile, 64 * MiB) ?? '').split('\n')) {
    if (!line.trim()) continue;
    try {
      const { seq: _seq, ...record } = JSON.parse(line) as ServedRecord;
      log.add(record);
    } catch {
      // a torn last line of a killed server: its usage was never sent to a peer either
    }
  }
  return Object.fromEntries(DEMO_PEERS.map((p) => [p, log.totals(p)]));
}
