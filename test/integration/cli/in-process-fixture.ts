/**
 * The fixtures the in-process command tests share: a scratch HOME with no git identity, the
 * repository `peers init` sets up in it (`proj`), and a finished host loop run (two ticks, both
 * peers hand off; alice prints 'working step N' as she works, bob prints nothing) with its own state dir.
 */
import { expect } from 'bun:test';
import { loop, makeProject, type Project } from '../loop/harness.ts';
import { runInProcess, type InProcessResult } from './in-process.ts';
import { makeRepo, makeSandbox, type Sandbox } from './peers-cli.ts';

export type InProcessFixture = {
  sb: Sandbox;
  env: NodeJS.ProcessEnv;
  repo: string;
  run: Project;
  /** `peers <argv>` in process, in the injected environment, from `cwd` (the init'd repository by default). */
  peers(argv: string[], cwd?: string): Promise<InProcessResult>;
  cleanup(): void;
};

export async function inProcessFixture(): Promise<InProcessFixture> {
  const sb = makeSandbox();
  const env: NodeJS.ProcessEnv = { ...process.env, ...sb.env, NO_COLOR: '1', PEERS_DEBUG: '' };
  delete env.PEERS_STATE_DIR;
  const repo = makeRepo(sb.root, 'proj');
  const peers = (argv: string[], cwd = repo) => runInProcess(argv, { env, cwd });
  const init = await peers(['init']);
  expect(init.code, init.stderr).toBe(0);
  // alice prints as she works, so the run has turn output for `peers logs --peer`.
  const run = makeProject({ peers: { alice: 'chatty-slow', bob: 'always-handoff' } });
  await loop(run, { maxTicks: 2 });
  return {
    sb,
    env,
    repo,
    run,
    peers,
    cleanup: () => {
      sb.cleanup();
      run.cleanup();
    },
  };
}
