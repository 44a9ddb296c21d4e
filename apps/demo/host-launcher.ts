/**
 * The demo on the host, without the sandbox: the scripted model server runs inside this process
 * on 127.0.0.1, and `peers loop` runs as a child (this same binary, selfCommand()), exactly as
 * the pod's loop container would run it. As root, the loop and the peers run as an unprivileged
 * user (run-as-user.ts). Nothing here isolates the peers from the machine; run-demo.ts says so.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PeersError } from '../../src/cli/errors.ts';
import { startModelServer } from '../../src/model-server/server.ts';
import { selfCommand } from '../../src/proc/self-exec.ts';
import { supervise } from '../../src/proc/supervise.ts';
import { statePaths } from '../../src/state/paths.ts';
import { readStopReason } from '../../src/state/stop-reason.ts';
import { DEMO_GOALS_YAML, DEMO_PEERS, demoConfigYaml } from './demo-config.ts';
import { demoScenario, writeDemoScenario } from './demo-scenario.ts';
import type { DemoContext, DemoLauncher, DemoRunResult } from './launcher.ts';
import { findPeerClis } from './peer-clis.ts';
import { ProgressWatcher } from './progress.ts';
import { argvAs, chownTree, demoRunAs, unreachableFor, type RunAs } from './run-as-user.ts';
import { writeSampleProject } from './sample-project.ts';

/** A demo run takes well under a minute; this only bounds a run that went wrong. */
const LOOP_DEADLINE_MS = 10 * 60_000;
const POLL_MS = 250;

export class HostLauncher implements DemoLauncher {
  readonly kind = 'host' as const;

  async unavailableReason(): Promise<string | null> {
    return null; // its prerequisites (the CLIs, a user when root) fail in run() with their own fix
  }

  async discard(): Promise<void> {
    // Everything of a host run (project, state, homes) lives under the layout root.
  }

  async run(ctx: DemoContext): Promise<DemoRunResult> {
    const { layout } = ctx;
    const who = demoRunAs(ctx.env);
    const bins = findPeerClis(ctx.env);
    const self = selfCommand();
    const server = startModelServer({ scenario: demoScenario(), host: '127.0.0.1', port: 0 });
    try {
      writeSampleProject(layout.project, {
        configYaml: demoConfigYaml({ serverUrl: server.url!, bins, homes: layout.homes }),
        goalsYaml: DEMO_GOALS_YAML,
      });
      // Served from memory here; written all the same for a kept demo's next steps (run-demo.ts).
      writeDemoScenario(layout.project);
      for (const home of Object.values(layout.homes)) mkdirSync(home, { recursive: true, mode: 0o700 });
      mkdirSync(join(layout.homes.codex, '.codex'), { recursive: true, mode: 0o700 });
      mkdirSync(layout.state, { recursive: true, mode: 0o700 });
      if (who) {
        chownTree(layout.root, who);
        ctx.note(`running as root: the loop and both peers run as the unprivileged user ${who.user} (Claude Code refuses to run unattended as root)`);
        checkReachable(who, self, bins, layout.project);
      }

      const env: Record<string, string> = { PATH: ctx.env.PATH || '/usr/local/bin:/usr/bin:/bin', HOME: layout.homes.loop, LANG: 'C.UTF-8', NO_COLOR: '1' };
      const cmd = argvAs(who, [...self, 'loop', layout.project, '--state-dir', layout.state], env);
      const watcher = new ProgressWatcher(layout.state, ctx.progress);
      const timer = setInterval(() => watcher.poll(), POLL_MS);
      let result;
      try {
        result = await supervise({ argv: cmd.argv, cwd: layout.project, env: cmd.env, absoluteTimeoutMs: LOOP_DEADLINE_MS, killGraceMs: 5000, signal: ctx.signal });
      } finally {
        clearInterval(timer);
      }
      watcher.poll(true);
      if (result.endedBy === 'spawn-error') throw new PeersError(`could not start peers loop: ${result.spawnError}`);
      const served = Object.fromEntries(DEMO_PEERS.map((p) => [p, server.log.totals(p)]));
      return {
        stateDir: layout.state,
        loopExitCode: result.exitCode,
        stopReason: readStopReason(statePaths(layout.state).stopReason)?.reason ?? null,
        served,
        loopOutputTail: `${result.stdout}${result.stderr}`.slice(-4000),
      };
    } finally {
      await server.stop();
    }
  }
}

/** Fails early, naming the path, when the unprivileged user could not run the loop or a peer. */
function checkReachable(who: RunAs, self: string[], bins: Record<string, string>, project: string): void {
  const needs = [
    { path: self[0]!, need: 'exec' as const },
    // From the sources, the entry script after bun; a compiled peers (or the dev build the tests
    // point selfCommand at) is one executable.
    ...self.slice(1).map((path) => ({ path, need: 'read' as const })),
    ...Object.values(bins).map((path) => ({ path, need: 'exec' as const })),
    { path: project, need: 'write' as const },
  ];
  const blocked = unreachableFor(who, needs);
  if (blocked.includes(project)) {
    throw new PeersError(`the unprivileged user ${who.user} cannot write to ${project}: a parent directory shuts it out`, {
      hint: `pass a --dir ${who.user} can reach (e.g. under /tmp), or leave --dir out for a temporary one`,
    });
  }
  if (blocked.length) {
    throw new PeersError(`the unprivileged user ${who.user} cannot run ${blocked.join(', ')}`, {
      hint: `let it in (chmod o+x on each parent directory, as test/setup.sh does for a checkout), or install peers and the CLIs outside /root`,
    });
  }
}
