/**
 * Anti-cheat for test-only turns (original-core §16.2): a turn whose diff touches test files and
 * no source cannot have fixed production behaviour, yet it can flip a gate (by weakening tests).
 * First offence per peer: a warning. Every further test-only turn before a turn that touches
 * source: the loop reverts it with a commit signed `peers-substrate`. Two reverts in a row: the
 * peer is degraded. (The baseline re-armed the warning after each revert, so a peer could alternate
 * warn/revert forever without being degraded.) A commit line
 * `JUSTIFIED-TEST-ONLY: <≥20 chars of reason>` accepts the turn, and the reason goes to the report.
 *
 * `decideAntiCheat` is pure (state + observation → decision); the git parts are small adapters.
 */
import type { Commit } from '../git/commits.ts';
import { git } from '../git/git.ts';
import type { RunObserver } from '../git/run-observer.ts';
import type { WorkspaceGit } from '../git/workspace-git.ts';
import { attestCommits } from './attestation.ts';
import { isTestPath } from './test-paths.ts';

export const JUSTIFICATION_MIN = 20;
export const SUBSTRATE_PEER = 'peers-substrate';
const SUBSTRATE_ENV = { GIT_AUTHOR_NAME: SUBSTRATE_PEER, GIT_AUTHOR_EMAIL: 'peers-substrate@local', GIT_COMMITTER_NAME: SUBSTRATE_PEER, GIT_COMMITTER_EMAIL: 'peers-substrate@local' };

export type DiffStats = { testLines: number; srcLines: number; testFiles: string[]; srcFiles: string[] };

/** Splits `git diff --numstat` output into test and source line counts (binary rows skipped). */
export function classifyNumstat(numstat: string): DiffStats {
  const s: DiffStats = { testLines: 0, srcLines: 0, testFiles: [], srcFiles: [] };
  for (const line of numstat.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line);
    if (!m || m[1] === '-' || m[2] === '-') continue;
    const path = renamedTarget(m[3]!);
    const lines = Number(m[1]) + Number(m[2]);
    if (isTestPath(path)) {
      s.testLines += lines;
      s.testFiles.push(path);
    } else {
      s.srcLines += lines;
      s.srcFiles.push(path);
    }
  }
  return s;
}

/** numstat writes renames as `a => b` or `dir/{a => b}/f`; the new path is what was changed. */
function renamedTarget(path: string): string {
  const brace = /^(.*)\{(.*) => (.*)\}(.*)$/.exec(path);
  if (brace) return `${brace[1]}${brace[3]}${brace[4]}`.replace(/\/\//g, '/');
  const plain = /^(.*) => (.*)$/.exec(path);
  return plain ? plain[2]! : path;
}

/** Diff stats of a tick's range; undefined when there is nothing to compare. */
export function turnDiffStats(repo: string, before: string | undefined, after = 'HEAD'): DiffStats | undefined {
  if (!before) return undefined;
  const res = git(repo, ['diff', '--numstat', '-M', `${before}..${after}`]);
  if (res.code !== 0) return undefined;
  return classifyNumstat(res.stdout);
}

export function isTestOnly(stats: DiffStats | undefined): boolean {
  return stats !== undefined && stats.testLines > 0 && stats.srcLines === 0;
}

/** The first `JUSTIFIED-TEST-ONLY:` reason of ≥20 characters among the turn's commits. */
export function findJustification(commits: Commit[]): string | undefined {
  for (const c of commits) {
    for (const line of c.message.split('\n')) {
      const m = /JUSTIFIED-TEST-ONLY:(.*)$/.exec(line);
      const reason = m?.[1]?.replace(/^[ #\t]+|[ #\t]+$/g, '') ?? '';
      if (reason.length >= JUSTIFICATION_MIN) return reason.slice(0, 500);
    }
  }
  return undefined;
}

/** Per-peer anti-cheat memory the loop keeps in its state. */
export type AntiCheatPeerState = { prewarned?: string; consecutiveReverts: number };
export const initialAntiCheatState = (): AntiCheatPeerState => ({ consecutiveReverts: 0 });

export type AntiCheatDecision = {
  action: 'none' | 'accept-justified' | 'warn' | 'revert';
  /** Text for the next prompt's WARNINGS and for runs.jsonl. */
  warning?: string;
  reason?: string;
  justification?: string;
  /** True when this revert is the second in a row for the peer: the loop degrades it. */
  degrade: boolean;
  next: AntiCheatPeerState;
};

export function testOnlyReason(stats: DiffStats): string {
  return `the turn modified only test files (+${stats.testLines} test lines, 0 source). Production behavior cannot have been the reason a gate flipped.`;
}

/** The pure rule. `success` is whether the tick handed off; a failed tick resets the revert streak. */
export function decideAntiCheat(state: AntiCheatPeerState, obs: { success: boolean; stats: DiffStats | undefined; justification?: string }): AntiCheatDecision {
  if (!obs.success) return { action: 'none', degrade: false, next: { ...state, consecutiveReverts: 0 } };
  if (!isTestOnly(obs.stats)) return { action: 'none', degrade: false, next: { consecutiveReverts: 0 } };
  const reason = testOnlyReason(obs.stats!);
  if (obs.justification) {
    return {
      action: 'accept-justified',
      reason,
      justification: obs.justification,
      warning: `anti-cheating: accepted test-only handoff because JUSTIFIED-TEST-ONLY was given. Audit the rationale: ${obs.justification.slice(0, 240)}`,
      degrade: false,
      next: { consecutiveReverts: state.consecutiveReverts },
    };
  }
  if (!state.prewarned) {
    return {
      action: 'warn',
      reason,
      warning: `anti-cheating pre-warning: ${reason} A second test-only turn will be reverted unless a commit carries "JUSTIFIED-TEST-ONLY: <reason>".`,
      degrade: false,
      next: { prewarned: reason, consecutiveReverts: state.consecutiveReverts },
    };
  }
  const reverts = state.consecutiveReverts + 1;
  return {
    action: 'revert',
    reason,
    warning: `anti-cheating: your previous handoff was reverted because ${reason}`,
    degrade: reverts >= 2,
    // The warning stays in force until a turn that changes source: the next test-only turn is reverted too.
    next: { prewarned: state.prewarned, consecutiveReverts: reverts },
  };
}

export type RevertOutcome = { method: 'revert' | 'failed'; sha?: string; error?: string };

/**
 * Undoes `since..HEAD` with one commit by `peers-substrate` whose tree is `since`'s (history is only
 * extended, so the peer's commits stay visible as evidence). The commit is built and attested in
 * the trusted mirror and applied to the clone through the workspace (workspace-git.ts): the loop
 * runs no git in the peers' repository.
 */
export async function revertTurn(observer: RunObserver, workspace: WorkspaceGit, since: string, reason: string): Promise<RevertOutcome> {
  const mirror = observer.mirror;
  const head = observer.head();
  if (!head) return { method: 'failed', error: 'the mirror has no head to revert' };
  const tree = git(mirror, ['rev-parse', '--verify', '--quiet', `${since}^{tree}`]);
  if (tree.code !== 0) return { method: 'failed', error: `${since.slice(0, 12)} is not in the mirror` };
  const msg = `Anti-cheating revert: ${reason}\n\nPeer: ${SUBSTRATE_PEER}\n`;
  const made = git(mirror, ['commit-tree', tree.stdout.trim(), '-p', head], { env: SUBSTRATE_ENV, input: msg });
  if (made.code !== 0) return { method: 'failed', error: made.stderr.trim().slice(-300) };
  const sha = made.stdout.trim();
  // The revert is the loop's own commit: attest it so no peer is credited (or blamed) for it.
  attestCommits(mirror, SUBSTRATE_PEER, head, sha);
  const moved = await workspace.moveHeadTo(sha, 'anti-cheating revert');
  return moved.ok ? { method: 'revert', sha } : { method: 'failed', error: moved.error };
}
