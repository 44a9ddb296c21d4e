/**
 * How a host command reads a project's history without honouring any repository configuration:
 * the run's trusted mirror when the project has a run, else a throwaway read-only view of the
 * repository (observed-view.ts). The reader gets a peers-owned git dir to pass where a repo goes.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeScratchDir } from '../proc/scratch-dir.ts';
import { stateDirFor, statePaths } from '../state/paths.ts';
import { openView } from './observed-view.ts';

export function readObserved<T>(repo: string, read: (observerRepo: string) => T, env: NodeJS.ProcessEnv = process.env): T {
  const mirror = statePaths(stateDirFor(repo, env)).mirror;
  if (existsSync(join(mirror, 'HEAD'))) return read(mirror);
  const scratch = makeScratchDir('peers-view-');
  try {
    const view = join(scratch, 'view.git');
    openView(repo, view);
    return read(view);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
