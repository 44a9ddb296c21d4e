/**
 * `peers pause|resume PEER`: the host side of the operator's controls. The control file lives in
 * the state dir (src/state/operator-control.ts); the loop reads it before every tick, and in the
 * pod it is read-only to the loop and mounted nowhere else, so only the operator can change it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../src/cli/errors.ts';
import { assertSetUp, loadConfigFile } from '../src/config/load.ts';
import { ensureStateDirs, projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { pausedPeers, readControl, withPaused, writeControl } from '../src/state/operator-control.ts';
import { localProjectStatus } from './reconcile.ts';
import { refuseOnCluster } from './run-target.ts';
import { listProjects } from './registry.ts';

export type PauseResult = { project: string; changed: string[]; paused: string[]; running: boolean; control: string };

/** The peers the run knows: the snapshot it enforces, else the project's own config. */
function peerNames(repo: string, stateDir: string): string[] {
  const snapshot = join(statePaths(stateDir).snapshotDir, 'config.yaml');
  if (!existsSync(snapshot)) assertSetUp(repo);
  return loadConfigFile(existsSync(snapshot) ? snapshot : join(repo, '.peers', 'config.yaml')).peers.map((p) => p.name);
}

export async function setPaused(o: { repo: string; peer: string; paused: boolean; env?: NodeJS.ProcessEnv }): Promise<PauseResult> {
  const env = o.env ?? process.env;
  const verb = o.paused ? 'pause' : 'resume';
  refuseOnCluster(o.repo, {
    what: `peers ${verb}`,
    why: "the loop there reads the operator's control file on its state volume, which nothing on this machine writes",
    hint: `to change which peers take turns there, edit .peers/config.yaml and start a new run: peers down --purge, then peers up --target k8s`,
  }, env);
  const stateDir = stateDirFor(o.repo, env);
  const names = peerNames(o.repo, stateDir);
  if (o.peer !== 'all' && !names.includes(o.peer)) throw new InputError(`peers ${verb} ${o.peer}: no such peer (peers: ${names.join(', ')})`, { hint: `pass a peer name from .peers/config.yaml, or all` });
  const paths = statePaths(stateDir);
  ensureStateDirs(paths);
  const read = readControl(paths.control);
  // A damaged control file is replaced only by an operator who sees it: say so, change nothing.
  if (!read.ok) throw new InputError(`the operator control file cannot be used: ${read.error}`, { location: { file: paths.control }, hint: 'fix it or remove it, then run this again' });
  const targets = o.peer === 'all' ? names : [o.peer];
  const before = pausedPeers(read.control);
  let control = read.control;
  for (const p of targets) control = withPaused(control, p, o.paused);
  writeControl(paths.control, control!);
  const after = pausedPeers(control);
  const changed = targets.filter((p) => before.includes(p) !== after.includes(p));
  const entry = listProjects(env).find((p) => p.path === o.repo) ?? { path: o.repo, registered_at: '' };
  const running = (await localProjectStatus(entry, env)).status === 'running';
  return { project: projectKey(o.repo), changed, paused: after, running, control: paths.control };
}
