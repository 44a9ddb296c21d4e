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

/** The tree's symlinks (`links`) and the paths they lead to, each resolved from its link's directory (`targets`). */
export type TreeLinks = { links: Set<string>; targets: Set<string> };

/** Whether `path` is a link of the tree, a link's target, or under a link's target directory ('' is the top). */
export function reachedByLink(path: string, l: TreeLinks): boolean {
  if (l.links.has(path)) return true;
  for (const t of l.targets) if (t === '' || t === path || path.startsWith(`${t}/`)) return true;
  return false;
}

/** Resolves a link's target as git stores it; '' is the top of the tree, and a target outside it leads nowhere here. */
export function linkTargetPath(linkPath: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target)).replace(/\/+$/, '');
  if (resolved === '..' || resolved.startsWith('../')) return undefined;
  return resolved === '.' ? '' : resolved;
}

/** Every symlink of the tree `rev` and where it leads; undefined when the tree cannot be read (fail closed). */
function treeLinks(repo: string, rev: string): TreeLinks | undefined {
  const listed = git(repo, ['ls-tree', '-r', '-z', '--full-tree', rev], { maxBuffer: 256 * 1024 * 1024, timeoutMs: GREP_TIMEOUT_MS });
  if (listed.code !== 0) return undefined;
  const links = new Map<string, string>();
  for (const rec of listed.stdout.split('\0')) {
    const m = /^120000 blob ([0-9a-f]+)\t([\s\S]+)$/.exec(rec);
    if (m && !m[2]!.startsWith('.peers/')) links.set(m[2]!, m[1]!);
  }
  if (!links.size) return { links: new Set(), targets: new Set() };
  let texts: Map<string, string>;
  try {
    texts = blobTexts(repo, [...links.values()]);
  } catch {
    return undefined;
  }
  const targets = new Set<string>();
  for (const [path, blob] of links) {
    const text = texts.get(blob);
    if (text === undefined) return undefined;
    const to = linkTargetPath(path, text);
    if (to !== undefined) targets.add(to);
  }
  return { links: new Set(links.keys()), targets };
}

/** Per repository and tree, its links (treeLinks): read once per tree, not kept by name as the grep's answers are. */
const linksAt = new Map<string, TreeLinks | undefined>();

function linksOfTree(repo: string, rev: string): TreeLinks | undefined {
  const key = `${repo}\0${rev}`;
  if (!linksAt.has(key)) {
    linksAt.set(key, treeLinks(repo, rev));
    while (linksAt.size > KEPT_TREES) linksAt.delete(linksAt.keys().next().value!);
  }
  return linksAt.get(key);
}

/** Per repository and tree, what a `git grep` said of each base name (lower case): named by a non-prose file. */
const namedAt = new Map<string, Map<string, boolean>>();
const KEPT_TREES = 16;

/**
 * proseNamedByCode, remembered per tree: a tree whose non-prose files are those of `sameCodeAs`
 * (the caller knows the change between them touched prose by place alone) names what that one
 * named, with no `git grep`. A turn that edits only a top-level NOTES.md cost a grep of the whole
 * tree each time (BENCHMARKS.md, "Loop processes per tick").
 */
export function proseNamedByCodeAt(repo: string, rev: string, candidates: readonly string[], sameCodeAs?: string): Set<string> {
  const key = (r: string) => `${repo}\0${r}`;
  const known = namedAt.get(key(rev)) ?? new Map<string, boolean>();
  const inherited = sameCodeAs !== undefined ? namedAt.get(key(sameCodeAs)) : undefined;
  const unknown = candidates.filter((p) => {
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
  // Links are read per tree, never inherited: a change of prose alone can make KERNEL.txt a link.
  const links = linksOfTree(repo, rev);
  return new Set(candidates.filter((p) => known.get(baseName(p).toLowerCase()) === true || links === undefined || reachedByLink(p, links)));
}

/**
 * What the tree `rev` names, for a change of `changed` from `parent` (proseNamedByCodeAt): a change
 * of prose by place alone, none of it reached by code at `parent`, leaves what names what as it
 * was, so it answers as `parent`'s tree did.
 */
export function namedByCodeOfChange(repo: string, rev: string, changed: readonly string[], parent?: string): (candidates: string[]) => Set<string> {
  const docs = changed.filter((p) => p !== '');
  // A document code reaches names others in turn (proseNamedByCode): only a change of documents
  // no code reached at `parent` leaves what the tree names as it was.
  const sameCodeAs = parent !== undefined && docs.every(isProseByPlace) && proseNamedByCodeAt(repo, parent, docs).size === 0 ? parent : undefined;
  return (candidates) => proseNamedByCodeAt(repo, rev, candidates, sameCodeAs);
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
