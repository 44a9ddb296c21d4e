/**
 * Anti-cheat findings: what the loop noticed a peer do to the gates, the reviews or the history,
 * and what it did about it. Each tick line in runs.jsonl carries its findings; `peers report`
 * lists them per run. The kinds are the cheat catalogue's classes (SECURITY.md).
 */
import { z } from 'zod';

export const FINDING_KINDS = [
  'test-only-turn',
  'test-only-red-to-green',
  'tests-alone-red-to-green',
  'self-attested-escape',
  'gate-surface-change',
  'test-removed',
  'test-marker',
  'self-vote',
  'stale-vote',
  'history-rewrite',
  'terminal-control-commit',
  'anchor-moved',
  'planted-git-hook',
  'control-plane-edit',
  'uncommitted-left',
  'escaping-symlink',
  'left-running',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const FindingSchema = z.object({
  kind: z.enum(FINDING_KINDS),
  /** What was seen, with file, commit or gate. */
  detail: z.string(),
  /** What the loop did about it. */
  action: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** Human names for the report. */
export const FINDING_TITLES: Record<FindingKind, string> = {
  'test-only-turn': 'test-only turn',
  'test-only-red-to-green': 'test-only turn that turned a red gate green',
  'tests-alone-red-to-green': 'turn whose test changes alone turned a red gate green (its source changes did not)',
  'self-attested-escape': 'escape valve vouched for only by its author',
  'gate-surface-change': "change to the gate's surface (tests, runner config, package scripts, vendored tools)",
  'test-removed': 'test deleted, disabled or moved out of the runner\'s reach',
  'test-marker': 'new skip / xfail / only marker',
  'self-vote': "review vote on the voter's own change",
  'stale-vote': 'pass votes cast before a later code change (they no longer count)',
  'history-rewrite': 'history rewritten (amend / rebase / reset)',
  'terminal-control-commit': 'commit whose message, name or email holds a terminal control character',
  'anchor-moved': 'run anchor moved (peers-baseline tag)',
  'planted-git-hook': 'git hook or code-running git config planted',
  'control-plane-edit': 'control-plane (.peers/) edit',
  'uncommitted-left': 'uncommitted changes left in the working tree',
  'escaping-symlink': 'committed symlink out of the repository (the gates follow it; no reviewer reads what is there)',
  'left-running': "process left running past the peer's turn, outside its process group (it could commit in another peer's turn)",
};

export function formatFinding(f: Finding): string {
  return `${FINDING_TITLES[f.kind]}: ${f.detail} → ${f.action}`;
}
