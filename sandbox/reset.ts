/**
 * `peers reset` and `peers up --fresh`: start over without losing anything. The stopped pod of
 * the old run is removed (its console is already in loop.log), then the whole state dir is archived
 * in one atomic rename (src/state/run-archive.ts). The results branch keeps the old run's head
 * until the next run publishes its own; that run may replace it, because the archive hands over
 * what peers had last written there (published-before-reset.json), and says so.
 */
import { mkdirSync } from 'node:fs';
import { PeersError } from '../src/cli/errors.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { archiveRun, type ArchivedRun } from '../src/state/run-archive.ts';
import { lastPublished, publishedBeforeResetPath } from './publish-branch.ts';
import { refuseOnCluster } from './run-target.ts';
import { containersOf } from './reconcile.ts';
import { teardown } from './pod-teardown.ts';
import { shellCommand } from '../src/cli/shell-word.ts';

export type ResetResult = {
  stateDir: string;
  /** Where the old run went; null when there was no run to archive. */
  archived: ArchivedRun | null;
  /** The results branch as the old run left it (the next run replaces it). */
  previousResults: { branch: string; sha: string } | null;
};

export async function resetProject(o: { repo: string; env?: NodeJS.ProcessEnv; progress: (line: string) => void; upCommand: string }): Promise<ResetResult> {
  const env = o.env ?? process.env;
  refuseOnCluster(o.repo, {
    what: 'peers reset',
    why: "the run's state is on the cluster's state volume, which the next peers up --target k8s would resume from",
    hint: 'peers down --purge deletes the run and its volumes on the cluster; the next peers up --target k8s starts over from your HEAD',
  }, env);
  const key = projectKey(o.repo);
  const stateDir = stateDirFor(o.repo, env);
  const containers = await containersOf(key, env);
  if (containers.find((c) => c.role === 'loop')?.running) {
    throw new PeersError('the run is still running; it is archived only once it has stopped', { hint: `peers down, then ${o.upCommand}` });
  }
  if (containers.length) {
    o.progress('removing the stopped pod of the old run');
    await teardown(key, env);
  }
  const paths = statePaths(stateDir);
  const published = lastPublished(paths) ?? null;
  // Refuses (nothing moved) while a host-side `peers loop` holds the run lock.
  const archived = archiveRun(stateDir);
  if (archived && published) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(publishedBeforeResetPath(paths), `${JSON.stringify({ ...published, archive: archived.path })}\n`);
  }
  return { stateDir, archived, previousResults: archived ? published : null };
}

/** What the user reads after an archive: where it went, how to read it, what happens to the branch (`nextBranch`: the new run's). */
export function describeReset(r: ResetResult, nextBranch?: string): string[] {
  if (!r.archived) return ['no earlier run to archive'];
  const a = r.archived;
  const how = [a.stopReason ?? 'no stop reason', a.tick !== null ? `tick ${a.tick}` : null, a.spentUsd !== null ? `$${a.spentUsd.toFixed(2)}` : null].filter(Boolean).join(', ');
  const lines = [`archived the old run (${how}) to ${a.path}`, `  its report: ${shellCommand('peers', 'report', '--state-dir', a.path)}`];
  if (r.previousResults && nextBranch && nextBranch !== r.previousResults.branch) {
    // results.branch changed (peers init in a worktree writes one): the old branch is left as it is.
    lines.push(`  its results: ${r.previousResults.branch} at ${r.previousResults.sha.slice(0, 10)}, left there: the new run publishes to ${nextBranch}`);
  } else if (r.previousResults) {
    lines.push(`  its results: ${r.previousResults.branch} at ${r.previousResults.sha.slice(0, 10)}; the new run replaces that branch: keep them with \`git branch ${r.previousResults.branch}-previous ${r.previousResults.sha.slice(0, 10)}\``);
  }
  return lines;
}
