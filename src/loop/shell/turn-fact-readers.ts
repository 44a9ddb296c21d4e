/**
 * The facts of a turn that judgeTurn (judge-turn.ts) needs beyond what observeTurnGit
 * (git-observe.ts) lists: the baseline tag as the peers' repository names it, whether a range
 * changes code, a justification another peer wrote, who owns the bugs a turn touched, and the hooks
 * and git config it planted (disabled on the spot). Each reads the trusted mirror or the peers'
 * repository as files (docs/ARCHITECTURE.md, "The trusted observer"), never git in the peers'
 * repository; runPeerTurn (peer-turn.ts) calls them in its fixed order.
 */
import { listCommits, type Commit } from '../../git/commits.ts';
import { resolveRef, resolveRepoLayout } from '../../git/repo-layout.ts';
import { findJustification } from '../../protocol/anti-cheat.ts';
import { readLedger } from '../../protocol/bug-ledger.ts';
import { type GitExecSurface, hooksToKeep, plantedConfigKeys, plantedInTurn, plantedSince, readGitExecSurface } from '../../protocol/git-hook-guard.ts';
import { BASELINE_TAG } from '../../protocol/run-baseline.ts';
import { namedByCodeOfChange } from '../../protocol/prose-paths.ts';
import { changesWhatVotesRead } from '../../protocol/soft-reviews.ts';
import { git } from '../../git/git.ts';
import type { LoopState } from '../../state/state-schema.ts';
import type { GateStates, TurnFacts } from '../judge-turn.ts';
import type { TurnContext, TurnRequest } from './turn-context.ts';

/**
 * What the peers-baseline tag names in the peers' repository, read as files (repo-layout.ts): a peer
 * moving it is reported; nothing of the run depends on it (the baseline is in the loop's state).
 */
export function tagSha(ctx: TurnContext): string | null {
  try {
    return resolveRef(resolveRepoLayout(ctx.repo, { allowGitFile: ctx.lenient }), `refs/tags/${BASELINE_TAG}`) ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether `from..to` changes anything but prose, by the rule that voids votes (prose-paths.ts: a
 * document at the top or under docs/ that no code of `to` names); a diff that cannot be read counts
 * as code (fail closed). Any document by name was enough: the implementer's skeptic tick, the run's
 * last, special-cased the tested input in src/kernel.txt, which src/calc.mjs loads as code, and its
 * audit mark moved over it (convergence.ts, advanceAuditMarks).
 */
export function changesCode(repo: string, from: string, to: string): boolean {
  const res = git(repo, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', from, to]);
  if (res.code !== 0) return true;
  const paths = res.stdout.split('\0');
  return changesWhatVotesRead(paths, namedByCodeOfChange(repo, to, paths, from));
}

/** Gate results as the states judgeTurn compares, by gate id. */
export const gateStates = (results: Array<{ id: string; state: 'pass' | 'fail' }>): GateStates => Object.fromEntries(results.map((r) => [r.id, r.state]));

/** A JUSTIFIED-TEST-ONLY another peer wrote since this peer's last turn (a pre-authorisation it can rely on). */
export function justificationByOther(repo: string, t: TurnRequest, peerOf: (sha: string) => string | undefined): { reason: string; by: string } | undefined {
  const from = t.state.inbox_cursor[t.peer] ?? t.state.baseline;
  if (!from || !t.headBefore || from === t.headBefore) return undefined;
  let commits: Commit[];
  try {
    // The newest 500: the same read as the prompt's INBOX (read-memo.ts), not a `-n500` of its own.
    commits = listCommits(repo, `${from}..${t.headBefore}`).slice(-500);
  } catch {
    return undefined;
  }
  const byOthers = commits.filter((c) => {
    const who = peerOf(c.sha);
    return who !== undefined && who !== t.peer && t.state.peer_order.includes(who);
  });
  const found = findJustification(byOthers);
  return found ? { reason: found.reason, by: peerOf(found.sha)! } : undefined;
}

/** fix_by and fixer of every bug, read only when the turn deferred, resolved or waived something. */
export function bugOwners(repo: string, commits: Commit[], baseline: string | undefined, peerOf: (sha: string) => string | undefined): TurnFacts['bugs'] {
  const relevant = commits.some((c) => c.trailers.all('Bug-Defer').length || c.trailers.all('Bug-Resolves').length || c.trailers.all('Bug-Reproduce-Waive').length);
  if (!relevant) return {};
  try {
    const ledger = readLedger(repo, baseline);
    return Object.fromEntries(ledger.reports.map((r) => [r.id, { fixBy: r.fixBy, fixedBy: r.resolution?.status === 'fixed' ? peerOf(r.resolution.sha) : undefined }]));
  } catch {
    return {};
  }
}

/**
 * Hooks and code-running git config the turn planted (read as files), against `before`, the git
 * dir as the turn began (plantedInTurn), and everything not there at the run's start disabled on
 * the spot in the workspace, a leftover of an earlier turn included. What this turn planted and is
 * still there afterwards (read again) is reported as not removed.
 */
export async function plantedHooks(ctx: TurnContext, state: LoopState, tick: number, before: GitExecSurface | null): Promise<TurnFacts['planted']> {
  const start = state.git_exec_surface;
  if (!start) return null;
  const opts = { allowGitFile: ctx.lenient };
  const now = readGitExecSurface(ctx.repo, opts);
  const stray = plantedSince(start, now);
  if (!stray.hooks.length && !stray.config.length) return null;
  const planted = plantedInTurn(start, before ?? start, now);
  const problems = await ctx.workspace.disableGitExec({ keepHooks: stray.hooks.length ? hooksToKeep(start, now) : null, keys: plantedConfigKeys(ctx.repo, stray.config, opts) }, tick);
  for (const p of problems) ctx.log(`peers: note: disabling planted git hooks and config: ${p}`);
  if (!planted.hooks.length && !planted.config.length) return null;
  const left = plantedInTurn(start, before ?? start, readGitExecSurface(ctx.repo, opts));
  return { ...planted, failed: [...left.hooks.map((h) => `hook ${h}`), ...left.config.map((c) => `config ${c}`)] };
}
