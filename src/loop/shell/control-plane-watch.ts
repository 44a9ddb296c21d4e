/**
 * Edits a turn made to `.peers/`: the loop enforces its snapshot of the control plane
 * (config/control-snapshot.ts), never the live files, and tells every peer that an edit was ignored.
 * Committed edits are read in the trusted mirror; live ones (host loop only: the pod's clone masks
 * `.peers/`) as files, against the snapshot.
 */
import { controlPlaneEditsInRange, detectControlPlaneEdits, formatControlPlaneEdits } from '../../protocol/control-plane-guard.ts';
import type { TickObservation } from '../tick.ts';
import type { TurnOutcome } from './turn-context.ts';
import type { UnreadCodeReader } from './unread-code.ts';

/**
 * Said of a committed edit: the gates' checkout is the commit's tree, so a file committed under
 * `.peers/` runs there unread, and holds convergence (src/protocol/committed-control-plane.ts).
 */
const COMMITTED_HOLD = ' Files committed under .peers/ are run by the gates and read by no reviewer: the run cannot complete until a commit removes them.';

export class ControlPlaneWatch {
  /** The live edits last warned about, so a lingering uncommitted edit is not repeated every tick. */
  private warnedEdits = '';

  constructor(
    private readonly where: { repo: string; live: boolean; snapshotDir: string; mirror: string },
    /** Committed code no reviewer reads, shared with convergence (unread-code.ts). */
    private readonly unread: UnreadCodeReader,
  ) {}

  /**
   * Records the turn's edits in its observation (a warning, a finding, a warning for the others):
   * every turn that committed to `.peers/`, and live files that differ from the snapshot once per
   * distinct difference.
   */
  note(obs: TickObservation, peer: string, headBefore: string | null, read: TurnOutcome['controlPlane'], baseline: string | undefined): void {
    this.noteEscapingSymlinks(obs, peer, headBefore, baseline);
    const edits = this.warnings(headBefore, obs.head_after, read);
    obs.warnings_emitted.push(...edits);
    if (!edits.length) return;
    const committed = edits.some((e) => e.includes(COMMITTED_HOLD));
    const action = committed ? 'run held until a commit removes the committed files (committed-control-plane.ts); the goals are the snapshot' : 'ignored: the loop enforces its snapshot of .peers/';
    obs.findings = [...(obs.findings ?? []), { kind: 'control-plane-edit', detail: `${peer}: ${edits.join(' ')}`.slice(0, 600), action }];
    obs.warnings_for_others = [...(obs.warnings_for_others ?? []), ...edits];
  }

  /**
   * The other place code runs unread: a symlink the turn committed that leads out of the
   * repository (escaping-symlinks.ts), recorded and told to every peer; convergence holds on it
   * (convergence-facts.ts) until a commit removes or repoints it. Read as the run's escaping links
   * after the turn that were not there before it: the run's range is read anyway for convergence,
   * at the same HEAD (unread-code.ts).
   */
  private noteEscapingSymlinks(obs: TickObservation, peer: string, headBefore: string | null, baseline: string | undefined): void {
    const headAfter = obs.head_after;
    if (!headBefore || !headAfter || headBefore === headAfter) return;
    const found = this.unread.linksAdded(baseline, headBefore, headAfter);
    const links = found.ok ? found.links : [`(the turn's symlinks could not be read: ${found.error})`];
    if (!links.length) return;
    const warning = `escaping symlink: ${links.join(', ').slice(0, 500)}: the gates follow a committed link and no reviewer reads what is behind it; the run cannot complete until a commit removes or repoints it inside the repository.`;
    obs.warnings_emitted.push(warning);
    obs.findings = [...(obs.findings ?? []), { kind: 'escaping-symlink', detail: `${peer}: ${links.join(', ')}`.slice(0, 600), action: 'run held until a commit removes or repoints it (escaping-symlinks.ts)' }];
    obs.warnings_for_others = [...(obs.warnings_for_others ?? []), warning];
  }

  private warnings(headBefore: string | null, headAfter: string | null, read: TurnOutcome['controlPlane']): string[] {
    const live = this.where.live ? detectControlPlaneEdits(this.where.repo, this.where.snapshotDir) : [];
    const key = JSON.stringify(live);
    // The turn read them from its diff of the same range; a revert or a restore moved HEAD since.
    const committed = !headBefore || !headAfter || headBefore === headAfter ? [] : read?.head === headAfter ? read.edits : controlPlaneEditsInRange(this.where.mirror, headBefore, headAfter);
    const liveIsNew = live.length > 0 && key !== this.warnedEdits;
    this.warnedEdits = key;
    if (!committed.length && !liveIsNew) return [];
    const edits = [...committed];
    for (const e of live) if (!edits.some((x) => x.path === e.path)) edits.push(e);
    return [`${formatControlPlaneEdits(edits)}${committed.length ? COMMITTED_HOLD : ''}`];
  }
}
