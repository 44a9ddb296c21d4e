/**
 * Facts about the run's history that convergence and the reviews need, read from git: which
 * commits change the tree and who made them (attestation, never trailers), which gate-surface
 * changes still lack another peer's approval, and whose changes no skeptic has re-audited.
 * Per-commit answers never change, so they are cached by sha for the life of the loop.
 */
import { blobTexts, commitTree, type TreeEntry } from '../../git/commit-files.ts';
import { git } from '../../git/git.ts';
import { listCommits } from '../../git/commits.ts';
import { indexedChanges, indexedParents } from '../../git/commit-index.ts';
import { OPERATOR, SUBSTRATE_PEER, type AttestationView } from '../../protocol/approvals.ts';
import { REVERTED_TRAILER } from '../../protocol/anti-cheat.ts';
import { messageValves } from '../../protocol/message-valves.ts';
import { formatSurfaceChange, surfaceChangesOf, type SurfaceChange } from '../../protocol/gate-surface.ts';
import { namedByCodeOfChange, type StatusEntry } from '../../protocol/prose-paths.ts';
import { changesWhatVotesRead } from '../../protocol/soft-reviews.ts';
import { importedSurface, importsAreRead } from '../../protocol/surface-imports.ts';
import { namesSurface, referencedChangesOf, referencedPaths, type SurfaceReference } from '../../protocol/surface-references.ts';

/** `entries`: the commit's name-status entries against its first parent (for what surface files name). */
type CommitFacts = { changesTree: boolean; surface: SurfaceChange[]; entries?: string };

/** Splits `git log -z --format=%x01%H --name-status -M --diff-merges=first-parent` output per commit. */
export function parseLogNameStatus(out: string): Map<string, CommitFacts> {
  const facts = new Map<string, CommitFacts>();
  for (const chunk of out.split('\x01')) {
    if (!chunk) continue;
    const nul = chunk.indexOf('\0');
    const sha = (nul < 0 ? chunk : chunk.slice(0, nul)).trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    const entries = nul < 0 ? '' : chunk.slice(nul + 1).replace(/^\n/, '');
    facts.set(sha, factsOfEntries(entries));
  }
  return facts;
}

/** Name-status entries (`status\0path\0[path\0]…`) one by one: the status and its path, both sides of a rename or copy. */
export function statusEntriesOf(entries: string): StatusEntry[] {
  const parts = entries.split('\0');
  const out: StatusEntry[] = [];
  for (let i = 0; i < parts.length; i++) {
    const status = parts[i]!;
    if (!status) continue;
    const paths = [parts[++i] ?? ''];
    if (status[0] === 'R' || status[0] === 'C') paths.push(parts[++i] ?? '');
    out.push({ status, paths });
  }
  return out;
}

/** The paths of name-status entries, both sides of a rename or copy. */
export function pathsOfEntries(entries: string): string[] {
  return statusEntriesOf(entries).flatMap((e) => e.paths);
}

/** A commit's facts from its name-status entries. */
export function factsOfEntries(entries: string): CommitFacts {
  const paths = pathsOfEntries(entries);
  return { changesTree: paths.some((p) => p !== '.peers' && !p.startsWith('.peers/')), surface: surfaceChangesOf(entries), entries };
}

/** What a commit that could not be read changes: something on the gate's surface (fail closed). */
const UNREADABLE: SurfaceChange[] = [{ path: '(unreadable diff)', change: 'modified', kind: 'test', what: 'diff could not be read', movedOutOfReach: false }];

/**
 * A merge's gate-surface changes against EVERY parent (`--diff-merges=separate` output), once each.
 * Against its first parent alone, a merge whose first parent is a new root commit that never had
 * the failing test deletes nothing, while that root commit only "adds" files.
 */
export function mergeSurfaceOf(separateOut: string): SurfaceChange[] {
  const seen = new Set<string>();
  const out: SurfaceChange[] = [];
  for (const chunk of separateOut.split('\x01')) {
    const nul = chunk.indexOf('\0');
    if (nul < 0) continue;
    for (const c of surfaceChangesOf(chunk.slice(nul + 1).replace(/^\n/, ''))) {
      const key = formatSurfaceChange(c);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/** The blob texts HistoryFacts keeps between commits: at most this many, of at most this many characters in all. */
const MAX_CACHED_TEXTS = 20_000;
const MAX_CACHED_CHARS = 16 * 1024 * 1024;

export class HistoryFacts {
  private readonly facts = new Map<string, CommitFacts>();
  private readonly votesRead = new Map<string, boolean>();
  private readonly mergeSurfaces = new Map<string, SurfaceChange[]>();
  private readonly merges = new Map<string, boolean>();
  private readonly refsAt = new Map<string, SurfaceReference[]>();
  private readonly refsOfBlob = new Map<string, SurfaceReference[]>();
  /** Per commit: the files whose imports were read (surface-imports.ts); a change to one is read again. */
  private readonly followedAt = new Map<string, Set<string>>();
  private readonly textOfBlob = new Map<string, string>();
  private cachedChars = 0;
  private readonly withRefs = new Map<string, SurfaceChange[]>();

  /**
   * `commandRefs`: the files the goals' commands and `setup` name (surface-references.ts,
   * commandPaths), surface in every commit's tree, their imports followed like a hook file's.
   */
  constructor(
    private readonly repo: string,
    private readonly commandRefs: readonly SurfaceReference[] = [],
  ) {}

  /**
   * What the gate-surface files of `commitish`'s tree name (surface-references.ts), cached by
   * commit and by blob. A tree that cannot be listed names everything (fail closed); a missing
   * parent (a root commit's) names nothing.
   */
  private referencesAt(commitish: string, missingIsEmpty = false): SurfaceReference[] {
    let refs = this.refsAt.get(commitish) ?? this.inheritedReferences(commitish);
    if (refs) return refs;
    let tree: TreeEntry[];
    try {
      tree = commitTree(this.repo, commitish);
    } catch {
      refs = missingIsEmpty ? [] : [{ path: '', by: '(a tree that could not be read)' }];
      this.refsAt.set(commitish, refs);
      return refs;
    }
    const blobs = tree.filter((e) => namesSurface(e.path));
    const unread = blobs.filter((b) => !this.refsOfBlob.has(`${b.blob} ${b.path}`));
    if (unread.length) {
      const texts = this.texts(unread.map((b) => b.blob));
      for (const b of unread) {
        const text = texts.get(b.blob);
        this.refsOfBlob.set(`${b.blob} ${b.path}`, text === undefined ? [{ path: '', by: `${b.path} (could not be read)` }] : referencedPaths(b.path, text));
      }
    }
    const named = [...blobs.flatMap((b) => this.refsOfBlob.get(`${b.blob} ${b.path}`) ?? []), ...this.commandRefs];
    // What the hook, setup and test code imports (surface-imports.ts), read level by level.
    const blobOf = new Map(tree.map((e) => [e.path, e.blob]));
    const sources = new Set(tree.filter((e) => importsAreRead(e.path)).map((e) => e.path));
    for (const r of named) for (const p of [r.path, `${r.path}/__init__.py`]) if (/\.(py|[cm]?[jt]sx?)$/.test(p) && blobOf.has(p)) sources.add(p);
    const walk = importedSurface(new Set(blobOf.keys()), [...sources], (paths) => {
      const texts = this.texts(paths.map((p) => blobOf.get(p)!));
      return new Map(paths.flatMap((p) => (texts.has(blobOf.get(p)!) ? [[p, texts.get(blobOf.get(p)!)!] as const] : [])));
    });
    refs = [...named, ...walk.refs];
    this.refsAt.set(commitish, refs);
    this.followedAt.set(commitish, walk.followed);
    return refs;
  }

  /** Blob texts by id, cached: the same test and hook files are read again at every commit that changes one. */
  private texts(ids: string[]): Map<string, string> {
    const out = new Map<string, string>();
    const unread: string[] = [];
    for (const id of new Set(ids)) {
      const t = this.textOfBlob.get(id);
      if (t === undefined) unread.push(id);
      else out.set(id, t);
    }
    if (!unread.length) return out;
    let read = new Map<string, string>();
    try {
      read = blobTexts(this.repo, unread);
    } catch {}
    for (const [id, t] of read) {
      out.set(id, t);
      // Bounded by count and by size: a large suite's test files, each read whole, must not grow the loop.
      if (this.textOfBlob.size >= MAX_CACHED_TEXTS || this.cachedChars + t.length > MAX_CACHED_CHARS) {
        this.textOfBlob.clear();
        this.cachedChars = 0;
      }
      this.textOfBlob.set(id, t);
      this.cachedChars += t.length;
    }
    return out;
  }



  /**
   * A commit's references without listing its tree: its first parent's (already read), when the
   * commit is no merge and changes no file that names surface. The same blobs at the same paths
   * name the same files, so a tick whose commits leave the runner configuration alone lists no tree.
   */
  private inheritedReferences(sha: string): SurfaceReference[] | undefined {
    const parents = indexedParents(this.repo, sha);
    const parentRefs = parents?.length === 1 ? this.refsAt.get(parents[0]!) : undefined;
    const entries = parentRefs && this.factsOf(sha).entries;
    const followed = parentRefs && this.followedAt.get(parents![0]!);
    if (!parentRefs || !followed || entries === undefined) return undefined;
    // A changed file whose imports are read (or would be: a new test or hook file) may import something else now.
    if (pathsOfEntries(entries).some((p) => namesSurface(p) || followed.has(p) || importsAreRead(p))) return undefined;
    this.refsAt.set(sha, parentRefs);
    this.followedAt.set(sha, followed);
    return parentRefs;
  }

  /** The changes of a commit's entries to files its tree, or its first parent's, names. */
  private referencedChanges(sha: string, entries: string, named: SurfaceChange[]): SurfaceChange[] {
    // The parent by its id where the commit index knows it, so its tree is listed (and cached) once.
    const parents = indexedParents(this.repo, sha);
    const before = parents === undefined ? this.referencesAt(`${sha}^`, true) : parents.length ? this.referencesAt(parents[0]!) : [];
    const refs = [...before, ...this.referencesAt(sha)];
    return referencedChangesOf(entries, refs, named);
  }

  /**
   * Whether one commit, against every parent, changes what a vote read (soft-reviews.ts): from the
   * name-status entries already read for a commit with one parent; otherwise one `diff-tree`. A
   * diff that cannot be read counts. Prose by place that a file of the commit's tree names is not
   * prose (prose-paths.ts); the answer is kept by sha.
   */
  changesWhatVotesRead(sha: string): boolean {
    const known = this.votesRead.get(sha);
    if (known !== undefined) return known;
    const parents = indexedParents(this.repo, sha);
    const entries = parents?.length === 1 ? this.factsOf(sha).entries : undefined;
    let answer: boolean;
    if (entries !== undefined) {
      const changed = statusEntriesOf(entries);
      const paths = changed.flatMap((e) => e.paths);
      answer = changesWhatVotesRead(paths, namedByCodeOfChange(this.repo, sha, paths, parents![0], changed));
    } else {
      const res = git(this.repo, ['diff-tree', '-r', '-m', '--root', '--no-commit-id', '--name-only', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', sha]);
      const paths = res.stdout.split('\0');
      answer = res.code !== 0 || changesWhatVotesRead(paths, namedByCodeOfChange(this.repo, sha, paths));
    }
    this.votesRead.set(sha, answer);
    return answer;
  }

  /** Reads the facts of every commit in `range` not known yet, in one git call. */
  private prefetch(range: string): void {
    const res = git(this.repo, ['log', '-z', '--format=%x01%H', '--name-status', '-M', '--diff-merges=first-parent', '--no-ext-diff', range], { maxBuffer: 256 * 1024 * 1024 });
    if (res.code !== 0) return;
    for (const [sha, f] of parseLogNameStatus(res.stdout)) this.facts.set(sha, f);
  }

  private factsOf(sha: string): CommitFacts {
    let f = this.facts.get(sha) ?? this.fromIndex(sha);
    if (!f) {
      const res = git(this.repo, ['log', '-z', '--format=%x01%H', '--name-status', '-M', '--diff-merges=first-parent', '--no-ext-diff', '-n1', sha]);
      f = (res.code === 0 ? parseLogNameStatus(res.stdout).get(sha) : undefined) ?? { changesTree: true, surface: UNREADABLE };
      this.facts.set(sha, f);
    }
    return f;
  }

  /** The facts of a commit the mirror's commit index read with its changes (the same log options). */
  private fromIndex(sha: string): CommitFacts | undefined {
    const entries = indexedChanges(this.repo, sha);
    if (entries === undefined) return undefined;
    const f = factsOfEntries(entries);
    this.facts.set(sha, f);
    return f;
  }

  /** Whether the commit changes anything outside `.peers/` against its first parent. */
  changesTree(sha: string): boolean {
    return this.factsOf(sha).changesTree;
  }

  /** A commit's gate-surface changes; a merge's against every parent (surfaceOfMerge). */
  surfaceOf(sha: string): SurfaceChange[] {
    if (this.isMerge(sha)) return this.surfaceOfMerge(sha);
    let s = this.withRefs.get(sha);
    if (!s) {
      const f = this.factsOf(sha);
      s = f.entries === undefined ? f.surface : [...f.surface, ...this.referencedChanges(sha, f.entries, f.surface)];
      this.withRefs.set(sha, s);
    }
    return s;
  }

  private isMerge(sha: string): boolean {
    let m = this.merges.get(sha);
    if (m === undefined) {
      // The mirror's commit index knows the parents of what it read; otherwise one rev-list.
      const parents = indexedParents(this.repo, sha);
      if (parents) m = parents.length > 1;
      else {
        const res = git(this.repo, ['rev-list', '--parents', '-n1', sha]);
        // Unreadable: read it as a merge, whose every-parent diff fails closed in its turn.
        m = res.code !== 0 || res.stdout.trim().split(/\s+/).length > 2;
      }
      this.merges.set(sha, m);
    }
    return m;
  }

  /** Learns which commits of `range` are merges in one `rev-list` (an unreadable range: none learnt). */
  private learnMerges(range: string, shas: string[]): void {
    for (const sha of shas) {
      const parents = this.merges.has(sha) ? undefined : indexedParents(this.repo, sha);
      if (parents) this.merges.set(sha, parents.length > 1);
    }
    if (shas.every((sha) => this.merges.has(sha))) return;
    const res = git(this.repo, ['rev-list', '--merges', range]);
    if (res.code !== 0) return;
    const merges = new Set(res.stdout.split('\n').filter(Boolean));
    for (const sha of shas) this.merges.set(sha, merges.has(sha));
  }

  /** A merge's gate-surface changes against every parent (mergeSurfaceOf), cached by sha. */
  private surfaceOfMerge(sha: string): SurfaceChange[] {
    let s = this.mergeSurfaces.get(sha);
    if (!s) {
      const res = git(this.repo, ['log', '-z', '--format=%x01%H', '--name-status', '-M', '--diff-merges=separate', '--no-ext-diff', '-n1', sha], { maxBuffer: 256 * 1024 * 1024 });
      s = res.code === 0 ? mergeSurfaceOf(res.stdout) : UNREADABLE;
      if (res.code === 0) {
        // What the surface files name, against every parent too.
        const named: SurfaceChange[] = [...s];
        for (const chunk of res.stdout.split('\x01')) {
          const nul = chunk.indexOf('\0');
          if (nul >= 0) named.push(...this.referencedChanges(sha, chunk.slice(nul + 1).replace(/^\n/, ''), named));
        }
        s = named;
      }
      this.mergeSurfaces.set(sha, s);
    }
    return s;
  }

  /** Shas of `range`, oldest first (empty when the range cannot be read); their facts are fetched in bulk. */
  shas(range: string): string[] {
    // The same `git log` the attestation view and the turn's observation read (one answer, kept
    // by the mirror's read memo), rather than a `rev-list` of its own.
    let list: string[];
    try {
      list = listCommits(this.repo, range).map((c) => c.sha);
    } catch {
      list = [];
    }
    if (list.some((sha) => !this.facts.has(sha) && !this.fromIndex(sha))) this.prefetch(range);
    return list;
  }

  /**
   * Peers who wrote what a vote cast in `reviewSha` reads, since `base` (the goal's last counted
   * review): the tree-changing commits of `base..reviewSha` on every side of a merge, and the vote's
   * own commit when it changes what votes read. Before, the range ended at the vote's first parent:
   * the implementer special-cased the tested input and voted pass on code-review in the same
   * commit, and with `reviewer: other` its vote counted as another peer's (SECURITY.md, "No vote on
   * your own change"). A range that cannot be read names the voter (fail closed).
   */
  authorsOfVote(base: string | undefined, reviewSha: string, view: AttestationView): Set<string> {
    const out = new Set<string>();
    const shas = this.shas(base ? `${base}..${reviewSha}` : reviewSha);
    const voter = view.peerOf(reviewSha);
    if (!shas.includes(reviewSha) && voter) out.add(voter);
    for (const sha of shas) {
      const who = view.peerOf(sha);
      if (!who || who === SUBSTRATE_PEER || who === OPERATOR) continue;
      if (sha === reviewSha ? this.changesWhatVotesRead(sha) : this.changesTree(sha)) out.add(who);
    }
    return out;
  }

  /**
   * Peers with tree-changing commits after their audit mark (the run's baseline when none): the
   * authors a skeptic tick by someone else must still re-audit.
   */
  unauditedAuthors(peers: string[], marks: Record<string, string>, baseline: string | undefined, head: string, view: AttestationView): string[] {
    const all = this.shas(baseline ? `${baseline}..${head}` : head);
    return peers.filter((p) => {
      const mark = marks[p];
      const at = mark ? all.indexOf(mark) : -1;
      const since = !mark || mark === baseline ? all : at >= 0 ? all.slice(at + 1) : this.shas(`${mark}..${head}`);
      return since.some((sha) => view.peerOf(sha) === p && this.changesTree(sha));
    });
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
  pendingGateSurface(base: string | undefined, head: string, view: AttestationView): Array<{ sha: string; author: string; changes: SurfaceChange[]; valves: string[] }> {
    const reverted = this.revertedShas(base, head, view);
    const out: Array<{ sha: string; author: string; changes: SurfaceChange[]; valves: string[] }> = [];
    const range = base ? `${base}..${head}` : head;
    const shas = this.shas(range);
    this.learnMerges(range, shas);
    for (const sha of shas) {
      if (reverted.has(sha)) continue;
      const author = view.peerOf(sha);
      if (author === SUBSTRATE_PEER || author === OPERATOR) continue;
      const changes = this.surfaceOf(sha);
      if (changes.length === 0) continue;
      const approvedByOther = author !== undefined && [...view.approversOf(sha)].some((a) => a !== author);
      if (!approvedByOther) out.push({ sha, author: author ?? '(unattested)', changes, valves: [] });
    }
    // What an approval of the commit vouches for besides its files (message-valves.ts): read only when one is pending.
    if (out.length) {
      const messages = new Map(listCommits(this.repo, range).map((c) => [c.sha, c]));
      for (const p of out) {
        const c = messages.get(p.sha);
        p.valves = c ? messageValves(c) : ['(commit message unreadable)'];
      }
    }
    return out;
  }
}
