/**
 * Where one loop works: the peers' repository as the loop sees it (read only through the trusted
 * mirror), where the peers run (the workspace, through the runner), and whether the live `.peers/`
 * is there to watch. The pod and the host-only loop differ only here (docs/ARCHITECTURE.md,
 * "What only the pod gives").
 */
import { gitOk } from '../../git/git.ts';
import { RunObserver } from '../../git/run-observer.ts';
import { RunnerWorkspaceGit, type WorkspaceGit } from '../../git/workspace-git.ts';
import type { PeerRunner } from '../../proc/peer-runner.ts';
import { filterProjectFiles } from '../../git/repo-files.ts';
import type { StatePaths } from '../../state/paths.ts';

export type RunPlaces = {
  /** The peers' repository as this process sees it (the run clone, or the host loop's repo). */
  repo: string;
  /** Where the peers run it (the clone's path in the workspace container: `/work`). */
  peerCwd: string;
  /** True on the host: the repository's live `.peers/` exists and is watched for edits. */
  live: boolean;
  observer: RunObserver;
  workspace: WorkspaceGit;
};

/** Opens the mirror (importing the current HEAD; a failure is logged and the mirror keeps its head). */
export function openRunPlaces(o: { repo: string; paths: StatePaths; runner: PeerRunner; pod?: { workspaceDir: string }; env: NodeJS.ProcessEnv; log: (line: string) => void }): RunPlaces {
  const observer = new RunObserver({ workDir: o.repo, mirror: o.paths.mirror, stage: o.paths.stage, lenient: !o.pod });
  try {
    observer.sync();
  } catch (error) {
    o.log(`peers: warning: ${(error as Error).message}`);
  }
  const peerCwd = o.pod?.workspaceDir ?? o.repo;
  return { repo: o.repo, peerCwd, live: !o.pod, observer, workspace: new RunnerWorkspaceGit(o.runner, peerCwd, observer, o.pod ? {} : hostGitEnv(o.env)) };
}

/** HEAD's files from the mirror (recon and codemap read their content from the working tree). */
export function trackedFiles(observer: RunObserver): string[] | undefined {
  if (!observer.head()) return undefined;
  try {
    return filterProjectFiles(gitOk(observer.mirror, ['ls-tree', '-r', '-z', '--name-only', 'HEAD'], { maxBuffer: 512 * 1024 * 1024 }).split('\0').filter(Boolean));
  } catch {
    return undefined;
  }
}

/** What git needs to run in the peers' repository on the host (the pod's runner has its own). */
function hostGitEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (env.HOME) out.HOME = env.HOME;
  return out;
}
