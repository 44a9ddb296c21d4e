/**
 * What convergence needs from the run's history (convergence.ts), read in the trusted mirror:
 * open blocking bugs, gate-surface changes no other peer approved, authors the skeptic has not
 * audited, test markers no other peer excused. Anything that cannot be read holds the run (fail
 * closed): an unreadable ledger is not an empty one.
 */
import { hardGoals, softGoals, type GoalsFile } from '../../config/goals-schema.ts';
import { readAttestationView } from '../../protocol/attestation.ts';
import { BLOCKING_SEVERITIES, formatBugLine, openBlockingBugs, readLedger } from '../../protocol/bug-ledger.ts';
import { formatSurfaceList } from '../../protocol/gate-surface.ts';
import { formatValves, pendingValves } from '../../protocol/message-valves.ts';
import { isSoftGoalPassed } from '../../protocol/soft-reviews.ts';
import { formatMarkerFinding, type MarkerFinding } from '../../protocol/test-markers.ts';
import { unexcusedMarkers } from '../../protocol/unexcused-markers.ts';
import type { LoopState } from '../../state/state-schema.ts';
import type { ConvergenceInput } from '../convergence.ts';
import type { HistoryFacts } from './history-facts.ts';
import type { RunHistory } from './turn-prompt.ts';
import type { UnreadCodeReader } from './unread-code.ts';

export class ConvergenceFacts {
  /** unexcusedMarkersAt's answer for the last HEAD it read, and each commit's own markers. */
  private markersAt: { head: string; count: number | null } | undefined;
  private readonly markerMemo = new Map<string, MarkerFinding[]>();
  /** unreadCodeAt's answer for the last HEAD it read. */
  private unreadRead: { head: string; count: number | null } | undefined;

  constructor(
    private readonly mirror: string,
    private readonly history: HistoryFacts,
    private readonly log: (line: string) => void,
    /** Committed code no reviewer reads, shared with the turn's report (unread-code.ts). */
    private readonly unread: UnreadCodeReader,
  ) {}

  /** Convergence's input at `head` (the mirror's), and the same history for the turn's prompt. */
  read(state: LoopState, goals: GoalsFile, head: string | null): { input: ConvergenceInput; history: RunHistory } {
    const repo = this.mirror;
    const baseline = state.baseline ?? undefined;
    const history: RunHistory = { bugLines: [], gateSurfacePending: [], valvesPending: [], unauditedAuthors: [], fixes: [] };
    let ledgerReadable = true;
    try {
      const ledger = readLedger(repo, baseline, head ?? undefined);
      history.bugLines = openBlockingBugs(ledger).map((b) => formatBugLine(b).trim());
      history.fixes = ledger.reports.filter((b) => b.status === 'fixed' && b.resolution && BLOCKING_SEVERITIES.has(b.severity)).map((b) => ({ sha: b.resolution!.sha, fixer: b.resolution!.resolvedBy }));
    } catch (error) {
      ledgerReadable = false;
      this.log(`peers: warning: cannot read the bug ledger, convergence held: ${(error as Error).message}`);
    }
    let unapproved: number | null = 0;
    if (head) {
      try {
        const view = readAttestationView(repo, baseline, head);
        history.gateSurfacePending = this.history.pendingGateSurface(baseline, head, view).map((g) => ({ sha: g.sha, author: g.author, changes: `${formatSurfaceList(g.changes)}${formatValves(g.valves)}` }));
        unapproved = history.gateSurfacePending.length;
        const listed = new Set(history.gateSurfacePending.map((g) => g.sha));
        history.valvesPending = pendingValves(repo, baseline, head, view).filter((v) => !listed.has(v.sha));
        history.unauditedAuthors = this.history.unauditedAuthors(state.peer_order, state.skeptic_audited, baseline, head, view);
      } catch (error) {
        unapproved = null;
        this.log(`peers: warning: cannot read the run's history, convergence held: ${(error as Error).message}`);
      }
    }
    const markers = head ? this.unexcusedMarkersAt(baseline, head) : 0;
    const unread = head ? this.unreadCodeAt(baseline, head) : 0;
    const statuses = state.soft_status;
    const softConsensus = softGoals(goals).every((g) => statuses[g.id] !== undefined && isSoftGoalPassed(g, statuses[g.id]!, state.peer_order));
    return {
      input: { hardGoalIds: hardGoals(goals).map((g) => g.id), openBlockingBugs: history.bugLines.length, ledgerReadable, softConsensus, unapprovedGateSurface: unapproved, unexcusedMarkers: markers, unreadCode: unread, unauditedAuthors: history.unauditedAuthors },
      history,
    };
  }

  /**
   * Code the gates run and no reviewer reads (convergence.ts, `unreadCode`): files the run's
   * commits put under `.peers/` that are not the loop's snapshot of them (committed-control-plane.ts)
   * and symlinks out of the repository (escaping-symlinks.ts), read in the mirror (unread-code.ts);
   * null (held) when they cannot be read. Logged once per HEAD.
   */
  private unreadCodeAt(baseline: string | undefined, head: string): number | null {
    if (this.unreadRead?.head === head) return this.unreadRead.count;
    const { control, links } = this.unread.at(baseline, head);
    const count = control.ok && links.ok ? control.held.length + links.links.length : null;
    this.unreadRead = { head, count };
    if (!control.ok) this.log(`peers: warning: the run's commits under .peers/ cannot be read, convergence held: ${control.error}`);
    if (!links.ok) this.log(`peers: warning: the run's committed symlinks cannot be read, convergence held: ${links.error}`);
    if (control.ok && control.held.length) this.log(`peers: convergence held: the peers committed ${control.held.length} file(s) under .peers/ (the operator's; code there runs in the gates and no reviewer reads it) until a commit removes them: ${control.held.slice(0, 5).join(', ').slice(0, 600)}`);
    if (links.ok && links.links.length) this.log(`peers: convergence held: ${links.links.length} committed symlink(s) lead out of the repository (the gates follow them, no reviewer reads what is there) until a commit removes or repoints them: ${links.links.slice(0, 5).join(', ').slice(0, 600)}`);
    return count;
  }

  /**
   * Test markers since the baseline that no peer but their author excused (unexcused-markers.ts),
   * read once per HEAD in the mirror; null (held) when they cannot be read. Logged once per HEAD.
   */
  private unexcusedMarkersAt(baseline: string | undefined, head: string): number | null {
    if (this.markersAt?.head === head) return this.markersAt.count;
    const found = unexcusedMarkers(this.mirror, baseline, head, this.markerMemo);
    const count = found.ok ? found.bad.length : null;
    this.markersAt = { head, count };
    if (!found.ok) this.log(`peers: warning: test markers cannot be read, convergence held: ${found.error}`);
    else if (count) this.log(`peers: convergence held: ${count} test marker(s) no peer but their author excused: ${found.bad.slice(0, 3).map((v) => `${formatMarkerFinding(v.finding)} (${v.why})`).join('; ').slice(0, 600)}`);
    return count;
  }
}
