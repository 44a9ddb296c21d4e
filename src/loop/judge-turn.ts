/**
 * The whole verdict on one peer turn, in one pure function: did it hand off (or declare the task
 * blocked), what did it try against the gates, the reviews or the history, what must the loop do
 * about it (revert the turn, restore HEAD), which reviews count, and what every peer is told.
 * peer-turn.ts gathers the facts from git and the gates and carries out the action; nothing here
 * touches a process, a file or git.
 */
import type { Commit } from '../git/commits.ts';
import { commitControl, controlWords, type PathControl } from '../git/history-controls.ts';
import { boundText, markHidden } from '../cli/shown-text.ts';
import { approvalHint } from '../protocol/approvals.ts';
import { decideAntiCheat, type AntiCheatDecision, type AntiCheatPeerState } from '../protocol/anti-cheat.ts';
import { countNewBlockingReports } from '../protocol/bug-ledger.ts';
import { selfVouchedValves } from '../protocol/escape-valves.ts';
import { formatFinding, type Finding } from '../protocol/findings.ts';
import { formatSurfaceList, type SurfaceChange } from '../protocol/gate-surface.ts';
import { ingestReviews, type AuthorsUnderReview, type IngestResult, type SoftGoalRule } from '../protocol/soft-reviews.ts';
import type { SoftStatus } from '../state/state-schema.ts';
import { formatMarkerFinding, type MarkerFinding } from '../protocol/test-markers.ts';
import { isTestOnly, type TurnDiff } from '../protocol/turn-diff.ts';
import type { Classification } from './classify.ts';
import { checkHandoff, type HandoffVerdict } from './handoff-check.ts';
import { leftoverFinding } from './leftover-work.ts';

export type GateStates = Record<string, 'pass' | 'fail'>;

export type TurnFacts = {
  peer: string;
  classification: Classification;
  headBefore: string | null;
  headAfter: string | null;
  rewritten: boolean;
  /** The turn's commits, oldest first (empty after a rewrite). */
  newCommits: Commit[];
  dirtyPaths: string[];
  diff: TurnDiff | undefined;
  /** Gate-surface changes per commit of the turn. */
  surface: Array<{ sha: string; changes: SurfaceChange[] }>;
  markers: MarkerFinding[];
  /** Hard gates at head_before (null when not known) and at head_after (only probed for test-only turns). */
  gatesBefore: GateStates | null;
  gatesAfter: GateStates | null;
  /**
   * For a turn that changed source too: the hard gates on its starting commit with only its test
   * changes (`paths`) applied (tests-alone.ts); null when not measured.
   */
  testsAlone?: { paths: string[]; gates: GateStates } | null;
  justifiedByOther?: { reason: string; by: string };
  /**
   * When the turn's commits change `.mailmap`: the first terminal control character of the one at
   * head_after (null: none), or why it could not be read (history-controls.ts, mailmapControlAt).
   */
  mailmapControl?: string | { error: string } | null;
  /**
   * The first file name the turn's commits add or change that git prints with a control character
   * as it is (null: none), or why the names could not be read (history-controls.ts, turnPathControl).
   */
  pathControl?: PathControl | { error: string } | null;
  /** Bug ids → who must fix them (fix_by) and who resolved them, for deferrals and waivers written this turn. */
  bugs: Record<string, { fixBy?: string; fixedBy?: string }>;
  planted: { hooks: string[]; config: string[]; failed: string[] } | null;
  anchorMoved: { from: string | null; to: string | null } | null;
  antiCheat: AntiCheatPeerState;
  reviews: {
    goals: SoftGoalRule[];
    statuses: Record<string, SoftStatus>;
    peerOrder: string[];
    attestedPeer: (sha: string) => string | undefined;
    authorsUnderReview: AuthorsUnderReview;
    /** Whether a commit changes code (anything but documents); a diff that cannot be read does. */
    changesCode?: (sha: string) => boolean;
  };
};

export type TurnAction = { kind: 'none' } | { kind: 'revert'; since: string; reason: string } | { kind: 'restore'; to: string };

/** The handoff's verdict (handoff-check.ts), and what the loop does about the turn besides. */
export type TurnVerdict = HandoffVerdict & {
  action: TurnAction;
  /**
   * The turn left uncommitted changes: the loop discards them before any other peer works
   * (leftover-work.ts), so they never reach another peer's commit under that peer's name.
   */
  discardUncommitted: boolean;
  antiCheat: AntiCheatDecision;
  findings: Finding[];
  /** For the next prompt, whoever runs it. */
  warnings: string[];
  /** Held for this peer's own next prompt. */
  warningsForPeer: string[];
  /** Held for every other peer's next prompt. */
  warningsForOthers: string[];
  soft: IngestResult;
  newBlockingBugs: number;
};

const short = (sha: string) => sha.slice(0, 8);

/**
 * Names a peer chose, as a finding shows them: the first SHOWN, each cut to 120 characters with its
 * control characters as `?`, then how many more. A turn that planted 6000 hooks of 200-character
 * names had every name in its finding, its reason and every peer's held warnings, and the state
 * grew past what the loop reads back.
 */
const SHOWN = 20;
function shownList(items: string[]): string {
  const shown = items.slice(0, SHOWN).map((x) => (x.length > 120 ? `${x.slice(0, 120)}…` : x).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));
  return shown.join(', ') + (items.length > SHOWN ? `, … (+${items.length - SHOWN})` : '');
}

/**
 * The turn's first commit whose message, names or emails hold a terminal control character, as
 * the reason told to the peer. Publishing refuses a run holding one (git prints them as they are:
 * src/git/history-controls.ts), so it is undone with its turn here, where it is made: left in
 * history, one hostile commit would keep every later result of the run from the user.
 */
const CR_HINT = ' (a carriage return not ending a line: `git commit --amend -m` with the text typed again drops it)';

function controlCharacterCommit(commits: Commit[]): string | undefined {
  for (const c of commits) {
    const found = commitControl(c);
    if (found) return `commit ${c.sha.slice(0, 10)} has ${controlWords(found.char)}${found.char === 'U+000D' ? CR_HINT : ''} in its ${found.field}; commit again without it`;
  }
  return undefined;
}

/** The same for the `.mailmap` the turn leaves: `git log` prints authors by the names it maps them to. */
function mailmapReason(f: TurnFacts): string | undefined {
  const m = f.mailmapControl;
  if (!m || !f.headAfter) return undefined;
  if (typeof m !== 'string') return `the .mailmap at ${f.headAfter.slice(0, 10)} could not be read (${m.error}); commit it again as a plain file`;
  return `the .mailmap at ${f.headAfter.slice(0, 10)} has ${controlWords(m)} (git log shows authors by the names it maps them to); commit it again without it`;
}

/** The same for a file name: `git log --stat` prints it as it is where `core.quotePath` is off. */
function pathReason(f: TurnFacts): string | undefined {
  const p = f.pathControl;
  if (!p) return undefined;
  if ('error' in p) return `the file names of the turn's commits could not be read (${p.error}); commit again`;
  return `commit ${p.sha.slice(0, 10)} adds a file whose name has ${controlWords(p.char)} (${JSON.stringify(markHidden(boundText(p.path, 200)))}); git log --stat prints it as it is where core.quotePath is off: rename it (git mv) and commit again`;
}

/** Deferrals and waivers the turn wrote for bugs it must fix itself. */
function selfExcusedBugs(commits: Commit[], peer: string, bugs: TurnFacts['bugs']): Array<{ sha: string; what: string }> {
  const out: Array<{ sha: string; what: string }> = [];
  for (const c of commits) {
    const deferred = [...c.trailers.all('Bug-Defer'), ...c.trailers.all('Bug-Resolves').filter(() => /"status"\s*:\s*"deferred"/.test(c.message))];
    for (const id of deferred.map((v) => v.trim())) if ((bugs[id]?.fixBy ?? peer) === peer) out.push({ sha: c.sha, what: `deferral of ${id}, which ${peer} must fix` });
    if (c.trailers.all('Bug-Reproduce-Waive').length) {
      const named = [...c.message.matchAll(/"(?:id|ids|waives)"\s*:\s*(?:"([^"]+)"|\[([^\]]*)\])/g)].flatMap((m) => (m[1] ? [m[1]] : (m[2] ?? '').split(',').map((x) => x.trim().replace(/^"|"$/g, ''))));
      for (const id of named) if (bugs[id]?.fixedBy === peer) out.push({ sha: c.sha, what: `Bug-Reproduce-Waive for ${id}, which ${peer} fixed` });
    }
  }
  return out;
}

export function judgeTurn(f: TurnFacts): TurnVerdict {
  const handoff = checkHandoff({ peer: f.peer, classification: f.classification, newCommits: f.newCommits, headBefore: f.headBefore, rewritten: f.rewritten, dirtyPaths: f.dirtyPaths });
  const findings: Finding[] = [];
  const warnings: string[] = [];
  const own: string[] = [];
  let success = handoff.success;
  let reason = handoff.reason;
  let action: TurnAction = { kind: 'none' };

  if (f.rewritten) {
    action = f.headBefore ? { kind: 'restore', to: f.headBefore } : { kind: 'none' };
    findings.push({
      kind: 'history-rewrite',
      detail: `${f.peer} moved HEAD from ${short(f.headBefore ?? '')} to ${f.headAfter ? short(f.headAfter) : '(nothing)'}, which does not extend it`,
      action: f.headBefore ? `HEAD restored to ${short(f.headBefore)}; the rewritten commits are kept for the report; the turn failed` : 'the turn failed',
    });
  }
  const controlled = f.rewritten ? undefined : (controlCharacterCommit(f.newCommits) ?? mailmapReason(f) ?? pathReason(f));
  const restored = controlled !== undefined && f.headBefore !== null;
  if (controlled) {
    if (restored) action = { kind: 'restore', to: f.headBefore! };
    success = false;
    reason = controlled;
    findings.push({
      kind: 'terminal-control-commit',
      detail: `${f.peer}: ${controlled}`,
      action: restored ? `HEAD restored to ${short(f.headBefore!)}; the turn's commits are kept for the report, out of the results branch; the turn failed` : 'the turn failed; the results branch is not published while the commit is in history',
    });
  }
  if (f.planted && (f.planted.hooks.length || f.planted.config.length)) {
    const what = shownList([...f.planted.hooks.map((h) => `hook ${h}`), ...f.planted.config.map((c) => `config ${c}`)]);
    findings.push({
      kind: 'planted-git-hook',
      detail: `${f.peer} left ${what} in the repository's git directory`,
      action: f.planted.failed.length ? `disabled for every peer process; could not remove ${shownList(f.planted.failed)}; the turn failed` : 'disabled for every peer process and removed; the turn failed',
    });
    if (success) {
      success = false;
      reason = `planted ${what}: git hooks and code-running config are not allowed`;
    }
  }

  const turnedGreen = f.gatesBefore && f.gatesAfter ? Object.keys(f.gatesAfter).filter((id) => f.gatesBefore![id] === 'fail' && f.gatesAfter![id] === 'pass') : [];
  const selfJustification = /JUSTIFIED-TEST-ONLY:/.test(f.newCommits.map((c) => c.message).join('\n')) ? 'yes' : undefined;
  const aloneGreen = f.gatesBefore && f.testsAlone ? Object.keys(f.testsAlone.gates).filter((id) => f.gatesBefore![id] === 'fail' && f.testsAlone!.gates[id] === 'pass') : [];
  const testsAlone = f.testsAlone ? { paths: f.testsAlone.paths, turnedGreen: aloneGreen } : undefined;
  const antiCheat = decideAntiCheat(f.antiCheat, { peer: f.peer, success, diff: success ? f.diff : undefined, justifiedByOther: f.justifiedByOther, selfJustification, turnedGreen, testsAlone });
  const byTestsAlone = aloneGreen.length > 0 && !isTestOnly(f.diff);
  const reverted = antiCheat.action === 'revert' && f.headBefore !== null && !restored;
  if (reverted) {
    action = { kind: 'revert', since: f.headBefore!, reason: antiCheat.reason ?? 'test-only turn' };
    success = false;
    reason = `anti-cheating revert: ${antiCheat.reason}`;
  }
  if (antiCheat.action !== 'none') {
    findings.push({
      kind: byTestsAlone ? 'tests-alone-red-to-green' : turnedGreen.length && antiCheat.action === 'revert' ? 'test-only-red-to-green' : 'test-only-turn',
      detail: `${f.peer}: ${antiCheat.reason}${turnedGreen.length ? ` (gates turned green: ${turnedGreen.join(', ')})` : ''}`,
      action: { revert: 'reverted by a peers-substrate commit', warn: 'warned; the next test-only turn is reverted', 'accept-justified': `accepted: ${antiCheat.justification?.slice(0, 160)}`, none: '' }[antiCheat.action],
    });
  }

  const landed = !f.rewritten && !reverted && !restored;
  for (const c of f.surface) {
    if (!c.changes.length) continue;
    findings.push({
      kind: 'gate-surface-change',
      detail: `${f.peer} in ${short(c.sha)}: ${formatSurfaceList(c.changes, 600)}`,
      action: landed ? `convergence held until a peer other than ${f.peer} approves ${short(c.sha)}` : 'undone with the turn',
    });
  }
  const markerLines: string[] = [];
  for (const m of f.markers) {
    markerLines.push(`test-marker: ${formatMarkerFinding(m)}`);
    const removal = m.kind === 'deleted-test' || m.kind === 'deleted-test-file' || m.kind === 'disabled-test';
    findings.push({ kind: removal ? 'test-removed' : 'test-marker', detail: `${f.peer}: ${formatMarkerFinding(m)}`, action: landed ? 'the no-new-skip-markers gate fails until a peer other than the author excuses it' : 'undone with the turn' });
  }
  for (const v of [...selfVouchedValves(f.newCommits, f.markers), ...selfExcusedBugs(f.newCommits, f.peer, f.bugs)]) {
    findings.push({ kind: 'self-attested-escape', detail: `${f.peer} vouched for its own change: ${v.what} (${short(v.sha)})`, action: `not honoured; ${approvalHint(v.sha)}` });
  }
  const leftover = leftoverFinding(f.peer, f.dirtyPaths);
  if (leftover) findings.push(leftover);
  if (f.anchorMoved) {
    findings.push({ kind: 'anchor-moved', detail: `${f.peer} moved the peers-baseline tag from ${f.anchorMoved.from ? short(f.anchorMoved.from) : '(none)'} to ${f.anchorMoved.to ? short(f.anchorMoved.to) : '(deleted)'}`, action: "ignored: the run compares against the baseline recorded in its state" });
  }

  // Reviews of a rewritten or reverted turn do not count: the work they vouched for is gone.
  const reviewed = landed ? f.newCommits : [];
  const soft = ingestReviews(reviewed, f.reviews.goals, f.reviews.statuses, f.reviews.peerOrder, f.reviews.attestedPeer, f.reviews.authorsUnderReview, f.reviews.changesCode);
  const voided = new Map<string, string[]>();
  for (const v of soft.staleVotes) voided.set(v.sha, [...(voided.get(v.sha) ?? []), v.goalId]);
  for (const [sha, ids] of voided) findings.push({ kind: 'stale-vote', detail: `${f.peer} changed code in ${short(sha)} after the votes on ${ids.join(', ')}`, action: 'those votes no longer count; the goals are asked for again' });
  for (const v of soft.selfVotes) findings.push({ kind: 'self-vote', detail: `${v.reviewer} voted pass on ${v.goalId} (${short(v.sha)}) after writing changes under review`, action: 'vote not counted: a pass needs a peer that wrote none of the changes under review' });
  warnings.push(...soft.warnings);
  const dropped = landed ? 0 : f.newCommits.filter((c) => c.trailers.get('Peer-Review-Of') !== undefined).length;
  if (dropped) warnings.push(`${dropped} soft review(s) by ${f.peer} not counted: they were part of the ${f.rewritten ? 'rewritten' : restored ? 'undone' : 'reverted'} turn`);

  // Marker lines keep their established wording; every other finding is shown as a finding.
  const findingLines = findings.filter((x) => x.kind !== 'test-marker' && x.kind !== 'test-removed').map((x) => `anti-cheat: ${formatFinding(x)}`);
  if (antiCheat.warning) findingLines.unshift(antiCheat.warning);
  warnings.push(...markerLines, ...findingLines);
  own.push(...markerLines, ...findingLines);

  return {
    success,
    credit: success ? 1 : reverted || controlled || (f.planted && (f.planted.hooks.length || f.planted.config.length)) ? 0 : handoff.credit,
    reason: success ? null : reason,
    handoffSha: success ? handoff.handoffSha : null,
    rescuedFromIdle: handoff.rescuedFromIdle,
    blocked: success ? handoff.blocked : null,
    action,
    discardUncommitted: leftover !== null,
    antiCheat,
    findings,
    warnings,
    warningsForPeer: own,
    warningsForOthers: [...markerLines, ...findingLines],
    soft,
    newBlockingBugs: f.rewritten || restored ? 0 : countNewBlockingReports(f.newCommits),
  };
}
