/**
 * Which changed files are prose: a document by name (turn-diff.ts) that is not on the gate's
 * surface (`requirements.txt` is a document by name), at the top of the repository or under a
 * documentation directory, AND named by no file of the tree that is not prose by the same rule.
 * Prose is what the loop lets go unread: it keeps a pass vote (soft-reviews.ts,
 * changesWhatVotesRead), lets a skeptic's audit mark move over its own tick (convergence.ts,
 * advanceAuditMarks) and is shown last in a review view too large for the prompt
 * (review-excerpt.ts). A name alone was the rule, and code can load any file as code (Node's
 * `require('../KERNEL.txt')` runs it as JavaScript): the implementer put add() in `KERNEL.txt`,
 * loaded by src/calc.mjs, and special-cased the tested input there in its own skeptic tick, the
 * run's last; the mark moved over it, no vote was voided, and the run ended `complete` with a
 * commit no other peer read (SECURITY.md, "A file code names is code, whatever its name").
 *
 * "Named" is the file's base name appearing, in any case, in the text of a non-prose file, or the
 * file being a symlink or reached through one (a link's target is text `git grep` never reads:
 * src/kernel.cjs linking to KERNEL.txt loaded it as code with no file naming it), or a document
 * named so being named by another that is (src/calc.mjs loads docs/loader.txt, which loads
 * ../KERNEL.txt); a name code builds at run time (`'KER' + 'NEL.txt'`, every `*.txt` of a
 * directory) is not seen.
 * Pure but for `proseNamedByCode`, the git adapter (one `git grep` of the tree, only when a
 * changed file is prose by place).
 */
import { posix } from 'node:path';
import { blobTexts } from '../git/commit-files.ts';
import { git, gitLines } from '../git/git.ts';
import { gateSurfaceOf } from './gate-surface.ts';
import { isDocumentPath } from './turn-diff.ts';

/**
 * Documentation directories by convention (`website/` is where Docusaurus and its kind keep a
 * project's site). A package's own README elsewhere (`packages/parser/README.md`) is not prose:
 * code beside it can read it as data as add() read `src/answers.txt`.
 */
const DOC_DIR = /^(docs?|documentation|website|\.github|adrs?|rfcs?|notes|wiki)\//i;

/** Prose by its name and place alone: what the rest of this module may still find named by code. */
export function isProseByPlace(path: string): boolean {
  return isDocumentPath(path) && gateSurfaceOf(path) === undefined && (!path.includes('/') || DOC_DIR.test(path));
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const GREP_TIMEOUT_MS = 60_000;

/**
 * What a `git grep` for names reports: which of the searched base names (lower case) a non-prose
 * file holds (`named`), and which prose-by-place files hold each (`namedByProse`: a document loads
 * nothing unless code loads it, which proseNamedByCode asks next).
 */
export type NamingReader = { line(raw: string): void; named(): Set<string>; namedByProse(): Map<string, Set<string>> };

/**
 * Reads `git grep -o -i -F --null -e <name>… <rev> --` output, one line at a time: each match is
 * `<rev>:<path>\0<match>`. A path may hold a newline (git does not quote it with --null), so a line
 * without a NUL is the start of the next record's path. Matches in prose-by-place files are kept
 * apart: a README naming CHANGELOG.md loads nothing, unless code loads the README.
 */
export function namingGrepReader(rev: string): NamingReader {
  const named = new Set<string>();
  const byProse = new Map<string, Set<string>>();
  let pending: string | null = null;
  return {
    line(raw: string) {
      const record: string = pending === null ? raw : `${pending}\n${raw}`;
      const nul = record.lastIndexOf('\0');
      if (nul < 0) {
        pending = record;
        return;
      }
      pending = null;
      const where = record.slice(0, nul);
      const path = where.startsWith(`${rev}:`) ? where.slice(rev.length + 1) : where.slice(where.indexOf(':') + 1);
      const name = record.slice(nul + 1).toLowerCase();
      if (!isProseByPlace(path)) named.add(name);
      else byProse.set(name, (byProse.get(name) ?? new Set()).add(path));
    },
    named: () => named,
    namedByProse: () => byProse,
  };
}

/**
 * The changed paths that are prose by place but named by a non-prose file of the tree `rev`:
 * not prose after all. Every candidate counts as named when the tree cannot be read (fail closed).
 */
export function proseNamedByCode(repo: string, rev: string, candidates: readonly string[]): Set<string> {
  const lower = (p: string) => baseName(p).toLowerCase();
  // A document a document names is code when code names the first (docs/loader.txt, loaded by
  // src/calc.mjs, loading ../KERNEL.txt): the documents that name a candidate are searched for in
  // turn, a round per link of the chain, up to CHAIN_ROUNDS (past it, every candidate is named).
  const direct = new Set<string>();
  const namers = new Map<string, Set<string>>();
  const searched = new Set<string>();
  let round = [...new Set(candidates)];
  for (let n = 0; round.length; n++) {
    if (n >= CHAIN_ROUNDS) return new Set(candidates);
    const found = grepNames(repo, rev, round);
    if (!found) return new Set(candidates);
    for (const p of round) searched.add(p);
    for (const name of found.named()) direct.add(name);
    for (const [name, paths] of found.namedByProse()) namers.set(name, new Set([...(namers.get(name) ?? []), ...paths]));
    round = [...new Set(round.filter((p) => !direct.has(lower(p))).flatMap((p) => [...(namers.get(lower(p)) ?? [])]))].filter((q) => !searched.has(q));
  }
  const code = new Set([...searched].filter((p) => direct.has(lower(p))));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of searched) {
      if (code.has(p) || ![...(namers.get(lower(p)) ?? [])].some((q) => q !== p && code.has(q))) continue;
      code.add(p);
      grew = true;
    }
  }
  return new Set(candidates.filter((p) => code.has(p)));
}

/** How many documents deep a chain of documents naming documents is followed. */
const CHAIN_ROUNDS = 8;

/** One `git grep` of the tree `rev` for the base names of `paths`; undefined when it failed. */
function grepNames(repo: string, rev: string, paths: readonly string[]): NamingReader | undefined {
  // git's `-i` folds ASCII alone (its locale is C): a name is searched as the tree spells it, in
  // lower and in upper case, so `require("./KÉRNEL.md")` names KÉRNEL.md (the reader compares lower case).
  const names = [...new Set(paths.flatMap((p) => [baseName(p), baseName(p).toLowerCase(), baseName(p).toUpperCase()]).filter((n) => n !== ''))];
  const reader = namingGrepReader(rev);
  if (!names.length) return reader;
  const patterns = names.flatMap((n) => ['-e', n]);
  // --text: a code file git takes for binary (a NUL byte) printed "Binary file … matches" and named nothing.
  // Bounded: a file repeating a name a million times must not hold the loop (a timeout names every candidate).
  const res = gitLines(repo, ['grep', '--text', '-o', '-i', '-F', '--null', '--no-textconv', '--no-color', ...patterns, rev, '--', '.', ':(exclude).peers'], reader.line, { timeoutMs: GREP_TIMEOUT_MS });
  // git grep exits 1 when nothing matched.
  return res.code > 1 ? undefined : reader;
}

/** Whether `path` is `target` or under it ('' is the whole tree). */
const under = (path: string, target: string): boolean => target === '' || target === path || path.startsWith(`${target}/`);

/**
 * Which of `candidates` code reaches through the tree's links (`links`: each link and where it
 * leads). A link that leads code on (`leadsOn`: one that is not prose, src/kernel.cjs, or a
 * document code names) makes its target code, and a document link that code so reaches leads on
 * in turn; a candidate that is itself a link is code unless it leads to a document. A document
 * linked to a document is not code for that alone: CLAUDE.md -> AGENTS.md, common where agents
 * work, made every edit of AGENTS.md void the votes.
 */
export function reachedThroughLinks(candidates: readonly string[], links: LinkMap, leadsOn: (link: string) => boolean): Set<string> {
  const reached: string[] = [];
  const waiting = new Map(links);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [link, target] of waiting) {
      if (!leadsOn(link) && !reached.some((r) => under(link, r))) continue;
      waiting.delete(link);
      if (target !== undefined) reached.push(target);
      grew = true;
    }
  }
  return new Set(
    candidates.filter((p) => {
      if (links.has(p)) {
        const target = links.get(p);
        if (target === undefined || !isDocumentPath(target)) return true;
      }
      return reached.some((r) => under(p, r));
    }),
  );
}

/** Resolves a link's target as git stores it; '' is the top of the tree, and a target outside it leads nowhere here. */
export function linkTargetPath(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target)).replace(/\/+$/, '');
  if (resolved === '..' || resolved.startsWith('../')) return undefined;
  return resolved === '.' ? '' : resolved;
}

/** A tree's symlinks, each with where it leads from its directory (undefined: outside the tree). */
type LinkMap = ReadonlyMap<string, string | undefined>;

/** Every symlink of the tree `rev` and where it leads; undefined when the tree cannot be read (fail closed). */
function treeLinks(repo: string, rev: string): LinkMap | undefined {
  const listed = git(repo, ['ls-tree', '-r', '-z', '--full-tree', rev], { maxBuffer: 256 * 1024 * 1024, timeoutMs: GREP_TIMEOUT_MS });
  if (listed.code !== 0) return undefined;
  const links = new Map<string, string>();
  for (const rec of listed.stdout.split('\0')) {
    const m = /^120000 blob ([0-9a-f]+)\t([\s\S]+)$/.exec(rec);
    if (m && !m[2]!.startsWith('.peers/')) links.set(m[2]!, m[1]!);
  }
  if (!links.size) return new Map();
  let texts: Map<string, string>;
  try {
    texts = blobTexts(repo, [...links.values()]);
  } catch {
    return undefined;
  }
  const resolved = new Map<string, string | undefined>();
  for (const [path, blob] of links) {
    const text = texts.get(blob);
    if (text === undefined) return undefined;
    resolved.set(path, linkTargetPath(path, text));
  }
  return resolved;
}

/** One entry of a change as git's name-status gives it: its status letter and its path(s) (a rename's two). */
export type StatusEntry = { status: string; paths: readonly string[] };

/**
 * The links of a tree from its parent's, for the change between them as name-status tells it, or
 * undefined when the change may add a link or move one's target: an added, renamed, copied or
 * retyped entry (a file made a link is `T`), or a modified one that was a link. A modified file
 * stays a file and a deleted entry is gone, so a change of those alone leaves the parent's links
 * less the deleted ones, with no `git ls-tree` (BENCHMARKS.md, "Loop processes per tick").
 */
export function linksAfterChange(parent: LinkMap, entries: readonly StatusEntry[]): LinkMap | undefined {
  const next = new Map(parent);
  for (const e of entries) {
    const kind = e.status[0];
    const path = e.paths[0];
    if (path === undefined || e.paths.length !== 1) return undefined;
    if (kind === 'D') next.delete(path);
    else if (kind !== 'M' || parent.has(path)) return undefined;
  }
  return next;
}

/** Per repository and tree, its links (treeLinks): read once per tree, not kept by name as the grep's answers are. */
const linksAt = new Map<string, LinkMap | undefined>();

/** A tree's links: remembered, derived from its parent's for a change that cannot touch a link (linksAfterChange), or read. */
function linksOfTree(repo: string, rev: string, from?: LinksFrom): LinkMap | undefined {
  const key = `${repo}\0${rev}`;
  if (!linksAt.has(key)) {
    const parent = from && linksAt.get(`${repo}\0${from.parent}`);
    linksAt.set(key, (parent && linksAfterChange(parent, from.entries)) || treeLinks(repo, rev));
    while (linksAt.size > KEPT_TREES) linksAt.delete(linksAt.keys().next().value!);
  }
  return linksAt.get(key);
}

/** The tree a tree's links may be derived from, and the change between them as name-status tells it. */
export type LinksFrom = { parent: string; entries: readonly StatusEntry[] };

/** Per repository and tree, what a `git grep` said of each base name (lower case): named by a non-prose file. */
const namedAt = new Map<string, Map<string, boolean>>();
const KEPT_TREES = 16;

/**
 * proseNamedByCode, remembered per tree: a tree whose non-prose files are those of `sameCodeAs`
 * (the caller knows the change between them touched prose by place alone) names what that one
 * named, with no `git grep`. A turn that edits only a top-level NOTES.md cost a grep of the whole
 * tree each time (BENCHMARKS.md, "Loop processes per tick").
 */
export function proseNamedByCodeAt(repo: string, rev: string, candidates: readonly string[], sameCodeAs?: string, linksFrom?: LinksFrom): Set<string> {
  // Links are never inherited with the names: a change of prose alone can make KERNEL.txt a link
  // (only a change that cannot touch one keeps its parent's: linksAfterChange).
  const links = linksOfTree(repo, rev, linksFrom);
  // A document link leads code on when code names it: its name is searched with the candidates'.
  const proseLinks = links ? [...links.keys()].filter(isProseByPlace) : [];
  if (links === undefined || proseLinks.length > MAX_PROSE_LINKS) return new Set(candidates);
  const asked = [...new Set([...candidates, ...proseLinks])];
  const key = (r: string) => `${repo}\0${r}`;
  const known = namedAt.get(key(rev)) ?? new Map<string, boolean>();
  const inherited = sameCodeAs !== undefined ? namedAt.get(key(sameCodeAs)) : undefined;
  const unknown = asked.filter((p) => {
    const name = baseName(p).toLowerCase();
    if (known.has(name)) return false;
    const was = inherited?.get(name);
    if (was === undefined) return true;
    known.set(name, was);
    return false;
  });
  if (unknown.length) {
    const named = proseNamedByCode(repo, rev, unknown);
    for (const p of unknown) known.set(baseName(p).toLowerCase(), named.has(p));
  }
  namedAt.delete(key(rev));
  namedAt.set(key(rev), known);
  while (namedAt.size > KEPT_TREES) namedAt.delete(namedAt.keys().next().value!);
  const isNamed = (p: string) => known.get(baseName(p).toLowerCase()) === true;
  const reached = reachedThroughLinks(candidates, links, (l) => !isProseByPlace(l) || isNamed(l));
  return new Set(candidates.filter((p) => isNamed(p) || reached.has(p)));
}

/** Document links past this many in one tree are not searched one by one: every candidate counts as code (fail closed). */
const MAX_PROSE_LINKS = 256;

/**
 * What the tree `rev` names, for a change of `changed` from `parent` (proseNamedByCodeAt): a change
 * of prose by place alone, none of it reached by code at `parent`, leaves what names what as it
 * was, so it answers as `parent`'s tree did.
 */
export function namedByCodeOfChange(repo: string, rev: string, changed: readonly string[], parent?: string, entries?: readonly StatusEntry[]): (candidates: string[]) => Set<string> {
  const docs = changed.filter((p) => p !== '');
  // A document code reaches names others in turn (proseNamedByCode): only a change of documents
  // no code reached at `parent` leaves what the tree names as it was.
  const sameCodeAs = parent !== undefined && docs.every(isProseByPlace) && proseNamedByCodeAt(repo, parent, docs).size === 0 ? parent : undefined;
  const linksFrom = parent !== undefined && entries !== undefined ? { parent, entries } : undefined;
  return (candidates) => proseNamedByCodeAt(repo, rev, candidates, sameCodeAs, linksFrom);
}

/**
 * Which of `paths` are not prose: everything but prose by place, and prose by place that
 * `namedByCode` (given the prose-by-place paths) says a non-prose file names. `.peers/` is the
 * operator's and never counts.
 */
export function notProse(paths: readonly string[], namedByCode: (candidates: string[]) => ReadonlySet<string>): string[] {
  const real = paths.filter((p) => p !== '' && p !== '.peers' && !p.startsWith('.peers/'));
  const candidates = real.filter(isProseByPlace);
  const named = candidates.length ? namedByCode(candidates) : new Set<string>();
  return real.filter((p) => !isProseByPlace(p) || named.has(p));
}
