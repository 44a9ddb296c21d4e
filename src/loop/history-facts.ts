/**
 * Facts about the run's history that convergence and the reviews need, read from git: which
 * commits change the tree and who made them (attestation, never trailers), which gate-surface
 * changes still lack another peer's approval, and whose changes no skeptic has re-audited.
 * Per-commit answers never change, so they are cached by sha for the life of the loop.
 */
import { git } from '../git/git.ts';
import { listCommits } from '../git/commits.ts';
import { OPERATOR, SUBSTRATE_PEER, type AttestationView } from '../protocol/approvals.ts';
import { REVERTED_TRAILER } from '../protocol/anti-cheat.ts';
import { surfaceChangesOf, type SurfaceChange } from '../protocol/gate-surface.ts';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const NOT_CONTROL_PLANE = ['--', '.', ':(exclude).peers'];

export class HistoryFacts {
  private readonly changes = new Map<string, boolean>();
  private readonly surface = new Map<string, SurfaceChange[]>();

  constructor(private readonly repo: string) {}

  private parent(sha: string): string {
    const res = git(this.repo, ['rev-parse', '--verify', '--quiet', `${sha}^1`]);
    return res.code === 0 ? res.stdout.trim() : EMPTY_TREE;
  }

  /** Whether the commit changes anything outside `.peers/` against its first parent. */
  changesTree(sha: string): boolean {
    let v = this.changes.get(sha);
    if (v === undefined) {
      v = git(this.repo, ['diff', '--quiet', '--no-ext-diff', '--no-textconv', this.parent(sha), sha, ...NOT_CONTROL_PLANE]).code !== 0;
      this.changes.set(sha, v);
    }
    return v;
  }

  surfaceOf(sha: string): SurfaceChange[] {
    let v = this.surface.get(sha);
    if (v === undefined) {
      const res = git(this.repo, ['diff', '--name-status', '-M', '-z', '--no-ext-diff', this.parent(sha), sha, ...NOT_CONTROL_PLANE]);
      v = res.code === 0 ? surfaceChangesOf(res.stdout) : [{ path: '(unreadable diff)', change: 'modified', kind: 'test', what: 'diff could not be read', movedOutOfReach: false }];
      this.surface.set(sha, v);
    }
    return v;
  }

  /** Shas of `range`, oldest first (empty when the range cannot be read). */
  shas(range: string): string[] {
    const res = git(this.repo, ['rev-list', '--reverse', range]);
    return res.code === 0 ? res.stdout.split('\n').filter(Boolean) : [];
  }

  /** Peers whose attested commits in `base..head` change the tree. */
  authorsIn(base: string | undefined, head: string, view: AttestationView): Set<string> {
    const out = new Set<string>();
    for (const sha of this.shas(base ? `${base}..${head}` : head)) {
      const who = view.peerOf(sha);
      if (who && who !== SUBSTRATE_PEER && who !== OPERATOR && this.changesTree(sha)) out.add(who);
    }
    return out;
  }

  /**
   * Peers with tree-changing commits after their audit mark (the run's baseline when none): the
   * authors a skeptic tick by someone else must still re-audit.
   */
  unauditedAuthors(peers: string[], marks: Record<string, string>, baseline: string | undefined, head: string, view: AttestationView): string[] {
    return peers.filter((p) => this.shas(marks[p] ?? baseline ? `${marks[p] ?? baseline}..${head}` : head).some((sha) => view.peerOf(sha) === p && this.changesTree(sha)));
  }

  /** Commits undone by the loop's own anti-cheat reverts (their changes are gone from the tree). */
  revertedShas(base: string | undefined, head: string, view: AttestationView): Set<string> {
    const out = new Set<string>();
    const range = base ? `${base}..${head}` : head;
    for (const c of listCommits(this.repo, range)) {
      if (view.peerOf(c.sha) !== SUBSTRATE_PEER) continue;
      const r = c.trailers.get(REVERTED_TRAILER);
      if (r && /^[0-9a-f]{40}\.\.[0-9a-f]{40}$/.test(r)) for (const sha of this.shas(r)) out.add(sha);
    }
    return out;
  }

  /**
   * Gate-surface changes in `base..head` that no peer other than their author has approved. An
   * unattested commit cannot be approved on anyone's behalf, so it stays pending (fail closed).
   */
  pendingGateSurface(base: string | undefined, head: string, view: AttestationView): Array<{ sha: string; author: string; changes: SurfaceChange[] }> {
    const reverted = this.revertedShas(base, head, view);
    const out: Array<{ sha: string; author: string; changes: SurfaceChange[] }> = [];
    for (const sha of this.shas(base ? `${base}..${head}` : head)) {
      if (reverted.has(sha)) continue;
      const author = view.peerOf(sha);
      if (author === SUBSTRATE_PEER || author === OPERATOR) continue;
      const changes = this.surfaceOf(sha);
      if (changes.length === 0) continue;
      const approvedByOther = author !== undefined && [...view.approversOf(sha)].some((a) => a !== author);
      if (!approvedByOther) out.push({ sha, author: author ?? '(unattested)', changes });
    }
    return out;
  }
}
