/**
 * Everything one turn's prompt says, gathered from the state and the repository and handed to the
 * pure prompt builder: goal status, open bugs, held warnings, the review window (INBOX and CHANGES
 * since the end of this peer's last turn, the run's baseline on its first, or since the last audit
 * for a skeptic), gate-surface changes awaiting approval, a blocked declaration to confirm.
 */
import { join } from 'node:path';
import { softGoals, type GoalsFile } from '../../config/goals-schema.ts';
import { writeFileAtomic } from '../../fs/atomic-write.ts';
import { MiB, readTextIfExists } from '../../fs/safe-read.ts';
import { isAncestor } from '../../git/commits.ts';
import { reviewBaseAfterFixes } from '../../protocol/fix-review.ts';
import { isSoftGoalPassed, pendingSoftGoals, softProgress } from '../../protocol/soft-reviews.ts';
import { buildPrompt, type GoalLine } from '../../prompt/prompt-builder.ts';
import type { StatePaths } from '../../state/paths.ts';
import type { LoopState } from '../../state/state-schema.ts';
import { inboxLines, reviewChanges } from './git-observe.ts';
import type { LoopSettings } from '../settings.ts';

/** What the pre-tick read from the history, shared with the prompt. */
export type RunHistory = {
  bugLines: string[];
  gateSurfacePending: Array<{ sha: string; author: string; changes: string }>;
  /** Escape valves in commit messages no peer but their author has approved (message-valves.ts). */
  valvesPending: Array<{ sha: string; author: string; valves: string[] }>;
  unauditedAuthors: string[];
  /** Blocking bugs closed as fixed: the closing commit and its attested peer (fix-review.ts). */
  fixes: Array<{ sha: string; fixer: string | undefined }>;
};

export type PromptContext = { repo: string; paths: StatePaths; goals: GoalsFile; settings: LoopSettings; state: LoopState; history: RunHistory; tick: number };

function readDigest(path: string): string | undefined {
  try {
    return readTextIfExists(path, 1 * MiB);
  } catch {
    return undefined;
  }
}

/** The oldest of the audit marks (or the baseline) of the authors a skeptic re-audits. */
function auditBase(ctx: PromptContext, audits: string[]): string | undefined {
  const marks = audits.map((a) => ctx.state.skeptic_audited[a] ?? ctx.state.baseline ?? undefined);
  if (marks.some((m) => m === undefined)) return ctx.state.baseline ?? undefined;
  let oldest = marks[0];
  for (const m of marks.slice(1)) if (oldest && m && m !== oldest && isAncestor(ctx.repo, m, oldest)) oldest = m;
  return oldest ?? ctx.state.baseline ?? undefined;
}

export function buildTurnPrompt(ctx: PromptContext, t: { peer: string; skeptic: boolean; audits: string[]; head: string | null }): string {
  const { state, goals: file } = ctx;
  const results = state.gates.results;
  const soft = softGoals(file);
  const goals: GoalLine[] = file.goals.map((g) =>
    g.type === 'hard'
      ? results[g.id] || !g.expensive
        ? { id: g.id, type: 'hard', state: results[g.id]?.state ?? 'not yet evaluated', diagnostic: results[g.id]?.state === 'fail' ? results[g.id]!.diagnostic : undefined, description: g.description }
        : { id: g.id, type: 'hard', ...expensivePending(state.gates.expensive?.[g.id]), description: g.description }
      : { id: g.id, type: 'soft', state: 'not yet evaluated', description: g.description },
  );
  for (const line of goals) {
    const g = soft.find((s) => s.id === line.id);
    const st = g ? state.soft_status[g.id] : undefined;
    if (!g || !st) continue;
    // Soft goals show their review progress (never a bare "not yet evaluated").
    if (isSoftGoalPassed(g, st, state.peer_order)) line.state = 'pass';
    else {
      line.state = 'in review';
      line.diagnostic = `consensus ${softProgress(g, st, state.peer_order)}${st.lastPass === false ? `; last review by ${st.lastReviewer ?? '?'} failed` : ''}`;
    }
  }
  const stuckAt = Math.max(2, Math.ceil(ctx.settings.goals.stuckHaltAfter / 2));
  const own = state.inbox_cursor[t.peer];
  // A fix another peer closed since this peer's last turn: the whole run's change again (fix-review.ts).
  const fixes = own ? ctx.history.fixes.map((f) => ({ ...f, readBefore: isAncestor(ctx.repo, f.sha, own) })) : [];
  const afterFixes = reviewBaseAfterFixes(t.peer, own, state.baseline ?? undefined, fixes);
  const base = t.skeptic && t.audits.length ? auditBase(ctx, t.audits) : afterFixes.base;
  const since =
    t.skeptic && t.audits.length
      ? `the last audit of ${t.audits.join(', ')}`
      : afterFixes.rereads.length
        ? `the run began, because another peer closed a bug as fixed (${afterFixes.rereads.map((s) => s.slice(0, 8)).join(', ')}) since your last turn: check that what the bug was filed for is gone`
        : own
          ? 'the end of your last turn'
          : 'the run began';
  const diffPath = join(ctx.paths.diffs, `tick-${String(ctx.tick).padStart(5, '0')}-${t.peer}.diff`);
  const changes = reviewChanges(ctx.repo, base, t.head, (diff) => {
    try {
      writeFileAtomic(diffPath, diff);
      return diffPath;
    } catch {
      return null;
    }
  });
  const blocked = state.blocked && !state.blocked.confirmed_by && state.blocked.by !== t.peer ? state.blocked : null;
  return buildPrompt({
    peer: t.peer,
    others: state.peer_order.filter((p) => p !== t.peer),
    skeptic: t.skeptic,
    cleanTicks: state.clean_ticks,
    recon: readDigest(ctx.paths.recon),
    codemap: readDigest(ctx.paths.codemap),
    goals,
    stuckGates: Object.entries(state.gates.red_streak)
      .filter(([, n]) => n >= stuckAt)
      .map(([id, redTicks]) => ({ id, redTicks })),
    warnings: [...new Set([...state.warnings, ...(state.peer_warnings[t.peer] ?? [])])],
    inbox: inboxLines(ctx.repo, t.peer, base, t.head),
    changes: changes.text,
    changesSince: since,
    gateSurfacePending: ctx.history.gateSurfacePending.filter((g) => g.author !== t.peer),
    valvesPending: ctx.history.valvesPending.filter((v) => v.author !== t.peer),
    blockedByOther: blocked ? { by: blocked.by, reason: blocked.reason, sha: blocked.sha } : undefined,
    audits: t.skeptic ? t.audits : undefined,
    openBlockingBugs: ctx.history.bugLines,
    softReviewsRequested: pendingSoftGoals(soft, state.soft_status, state.peer_order, t.peer).map((g) => ({
      id: g.id,
      prompt: soft.find((s) => s.id === g.id)?.prompt ?? '',
    })),
  });
}

/** An expensive gate not yet measured at HEAD: its last measurement, of an older commit, said as such. */
function expensivePending(last: { head: string; state: string; diagnostic: string } | undefined): { state: 'not yet evaluated'; diagnostic: string } {
  const was = last ? `; at ${last.head.slice(0, 8)} it was ${last.state}${last.state === 'fail' ? `: ${last.diagnostic}` : ''}` : '';
  return { state: 'not yet evaluated', diagnostic: `expensive: measured in the background while you work, and again before convergence${was}` };
}
