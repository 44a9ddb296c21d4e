/**
 * `peers reset` and `peers up --fresh`: start over without losing anything. The stopped pod of
 * the old run is removed (its console is already in loop.log), then the whole state dir is archived
 * in one atomic rename (src/state/run-archive.ts). The results branch keeps the old run's head
 * until the next run publishes its own; that run may replace it, because the archive hands over
 * what peers had last written there (published-before-reset.json). Before that, the old head is
 * kept as a branch of its own (keep-previous-results.ts), named in what the user reads.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_HEAD_REF } from '../src/git/observer.ts';
import { PeersError } from '../src/cli/errors.ts';
import { writeFileAtomic } from '../src/fs/atomic-write.ts';
import { projectKey, stateDirFor, statePaths } from '../src/state/paths.ts';
import { archiveRun, type ArchivedRun } from '../src/state/run-archive.ts';
import { lastPublished, publishedBeforeResetPath } from './publish-branch.ts';
import { refuseOnCluster } from './run-target.ts';
import { containersOf } from './reconcile.ts';
import { teardown } from './pod-teardown.ts';
import { shellCommand } from '../src/cli/shell-word.ts';
import { keepPreviousResults, type KeepPlan } from './keep-previous-results.ts';
import { runUsdWords } from '../src/budget/spend-view.ts';
import { wasRehearsal } from '../src/budget/budget-policy-file.ts';

export type ResetResult = {
  stateDir: string;
  /** Where the old run went; null when there was no run to archive. */
  archived: ArchivedRun | null;
  /** The results branch as the old run left it (the next run replaces it). */
  previousResults: { branch: string; sha: string } | null;
  /** What became of the old results: kept as a branch of its own, or why not (absent: there were none). */
  kept?: KeepPlan;
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
  const kept = archived && published ? keepPreviousResults(o.repo, published) : undefined;
  // The archive's report names the branch its commits are on now: the new run will publish to the old name.
  if (archived && kept?.kind === 'keep') {
    try {
      writeFileAtomic(join(statePaths(archived.path).run, 'published.json'), `${JSON.stringify({ branch: kept.branch, sha: kept.sha })}\n`);
    } catch {
      // The archive without its run dir (a run that never published) has nothing to name.
    }
  }
  return { stateDir, archived, previousResults: archived ? published : null, ...(kept ? { kept } : {}) };
}

/** What the user reads after an archive: where it went, how to read it, what happens to the branch (`nextBranch`: the new run's). */
export function describeReset(r: ResetResult, nextBranch?: string): string[] {
  if (!r.archived) return ['no earlier run to archive'];
  const a = r.archived;
  const how = [a.stopReason ?? 'no stop reason', a.tick !== null ? `tick ${a.tick}` : null, a.spentUsd !== null ? runUsdWords(a.spentUsd, wasRehearsal(a.path)) : null].filter(Boolean).join(', ');
  const lines = [`archived the old run (${how}) to ${a.path}`, `  its report: ${shellCommand('peers', 'report', '--state-dir', a.path)}`];
  const p = r.previousResults;
  if (!p) return lines;
  const at = `${p.branch} at ${p.sha.slice(0, 10)}`;
  const k = r.kept;
  if (k?.kind === 'keep') lines.push(`  its results: ${at}, kept as branch ${k.branch} (\`git log ${k.branch}\`)${nextBranch && nextBranch !== p.branch ? `; the new run publishes to ${nextBranch}` : `; the new run publishes to ${p.branch}`}`);
  else if (k?.why === 'in-head') lines.push(`  its results: ${at}, already in your HEAD`);
  else if (k?.why === 'moved') lines.push(`  its results: ${p.branch} was moved since the run published ${p.sha.slice(0, 10)}; left as it is`);
  else if (k?.why === 'deleted') lines.push(`  its results: ${p.branch} (at ${p.sha.slice(0, 10)}) was deleted since; left so. The commits are in the archive: \`${shellCommand('git', 'fetch', join(r.archived.path, 'run', 'mirror.git'), RUN_HEAD_REF)}\` then \`git log FETCH_HEAD\``);
  else if (nextBranch && nextBranch !== p.branch) lines.push(`  its results: ${at}, left there: the new run publishes to ${nextBranch}`);
  else lines.push(`  its results: ${at}; not kept as a branch${k?.detail ? ` (${k.detail})` : ''}: keep them with \`git branch ${p.branch}-previous ${p.sha.slice(0, 10)}\` before the new run publishes`);
  return lines;
}
