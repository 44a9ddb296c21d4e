/**
 * Answers to repeated git reads of the run's mirror, kept in memory, so a tick does not spawn the
 * same `git` again for an answer it already has (each spawn costs a process; BENCHMARKS.md, "Loop
 * processes per tick").
 *
 * Only the mirror qualifies (src/git/observer.ts): its objects all came through index-pack, which
 * recomputed every object's hash, and only the loop that holds the run writes it, always through
 * git (fetch, update-ref, notes). Two kinds of reads are kept:
 *
 *   - `object` reads name every revision by its full object id (`log A..B`, `merge-base
 *     --is-ancestor A B`, `rev-parse --verify --quiet A^{commit}`, `cat-file --batch` of ids): their answer depends only on objects, which
 *     never change, so it is kept across ticks (a bounded number of them, small answers only).
 *   - `ref` reads look at refs (`rev-parse --verify HEAD`, `notes list`, `log A..HEAD`): kept until
 *     the next git call on the mirror that is not a known read (any write), and never past the
 *     end of a tick (`forgetRefReads`).
 *
 * Anything not recognised below is treated as a write: it runs, and clears the mirror's ref reads.
 */

export type ReadKind = 'object' | 'ref' | 'other';

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const RANGE = /^((?:[0-9a-f]{40}|[0-9a-f]{64}))(\.\.\.?)((?:[0-9a-f]{40}|[0-9a-f]{64}))$/;
/** A ref name a read may look at: no option, no revision syntax beyond `^{commit}`. */
const REF = /^(?:HEAD|refs\/[A-Za-z0-9._/-]+)(?:\^\{commit\})?$/;
const REF_RANGE = /^((?:[0-9a-f]{40}|[0-9a-f]{64})|HEAD|refs\/[A-Za-z0-9._/-]+)\.\.(HEAD|refs\/[A-Za-z0-9._/-]+)$/;

/**
 * Options whose output depends only on the revisions named (no clock, no other refs, no notes, no
 * external program). `--format=` is allowed without `%N` (notes) and `%G` (signatures, a keyring).
 */
const PURE_OPTIONS = new Set([
  '-z', '--reverse', '--no-color', '--no-ext-diff', '--no-textconv', '--name-status', '--name-only', '--no-renames',
  '-M', '-w', '-U0', '--ignore-blank-lines', '--patch', '--is-ancestor', '--first-parent', '--diff-merges=first-parent', '--quiet',
]);

function pureOption(arg: string): boolean {
  if (PURE_OPTIONS.has(arg)) return true;
  if (/^(?:-n\d+|--max-count=\d+|--stat=\d+|--stat-count=\d+)$/.test(arg)) return true;
  return arg.startsWith('--format=') && !/%[NG]/.test(arg);
}

/** What kind of read `args` (after git's own `-c` flags) is; `other` for anything that may write. */
export function classifyGitRead(args: readonly string[], input: string | Uint8Array | undefined): ReadKind {
  const [sub, ...rest] = args;
  if (sub === 'cat-file' && rest.length === 1 && rest[0] === '--batch') {
    if (typeof input !== 'string') return 'other';
    const ids = input.split('\n').filter((l) => l !== '');
    return ids.length > 0 && ids.every((l) => OBJECT_ID.test(l)) ? 'object' : 'other';
  }
  if (input !== undefined) return 'other';
  if (sub === 'rev-parse') {
    const [a, b, name, ...more] = rest;
    const target = name?.replace(/\^\{commit\}$/, '');
    if (a !== '--verify' || b !== '--quiet' || target === undefined || more.length !== 0) return 'other';
    // An object id names an object, which never changes or goes (a "no" is never kept).
    return OBJECT_ID.test(target) ? 'object' : REF.test(target) ? 'ref' : 'other';
  }
  if (sub === 'notes') return rest.length === 2 && /^--ref=[A-Za-z0-9._/-]+$/.test(rest[0]!) && rest[1] === 'list' ? 'ref' : 'other';
  if (sub !== 'log' && sub !== 'rev-list' && sub !== 'merge-base' && sub !== 'diff') return 'other';
  let kind: ReadKind = 'object';
  let paths = false;
  let revisions = 0;
  for (const arg of rest) {
    if (paths) {
      if (arg.startsWith(':') && arg !== ':!.peers' && arg !== ':(exclude).peers') return 'other';
      continue;
    }
    if (arg === '--') paths = true;
    else if (arg.startsWith('-')) {
      if (!pureOption(arg)) return 'other';
    } else if (OBJECT_ID.test(arg) || RANGE.test(arg)) revisions++;
    else if (sub !== 'diff' && (REF_RANGE.test(arg) || REF.test(arg))) {
      revisions++;
      kind = 'ref';
    } else return 'other';
  }
  return revisions > 0 ? kind : 'other';
}

/**
 * True for a write that moves only a notes ref (`notes --ref=R add|copy`, `update-ref refs/notes/…`):
 * reads of other refs stay valid across it (a `--format` without `%N` never shows notes).
 */
export function movesOnlyNotes(args: readonly string[]): boolean {
  const [sub, first, second] = args;
  if (sub === 'notes') return first !== undefined && /^--ref=[A-Za-z0-9._/-]+$/.test(first) && (second === 'add' || second === 'copy');
  return sub === 'update-ref' && first !== undefined && first.startsWith('refs/notes/') && !args.includes('--stdin');
}

/** A kept ref read that looks at notes (see movesOnlyNotes). */
function readsNotes(key: string): boolean {
  return key.startsWith('notes\0') || key.includes('refs/notes/');
}

export type MemoAnswer = { code: number; stdout: string; stderr: string };

/** Object reads kept at most, and the largest answer kept (a big diff is cheaper to recompute than to hold). */
const MAX_OBJECT_ANSWERS = 256;
const MAX_ANSWER_CHARS = 256 * 1024;

/** The answers for the mirrors registered with `memoizeReadsOf`. */
export class GitReadMemo {
  private readonly mirrors = new Set<string>();
  private readonly objectAnswers = new Map<string, MemoAnswer>();
  private readonly refAnswers = new Map<string, Map<string, MemoAnswer>>();

  register(dir: string): void {
    this.mirrors.add(dir);
  }

  covers(dir: string): boolean {
    return this.mirrors.has(dir);
  }

  /** The kept answer for this read, if any. */
  lookup(dir: string, kind: ReadKind, key: string): MemoAnswer | undefined {
    if (kind === 'object') {
      const hit = this.objectAnswers.get(`${dir}\0${key}`);
      if (hit) {
        // Most recently used last: the oldest is the first to go.
        this.objectAnswers.delete(`${dir}\0${key}`);
        this.objectAnswers.set(`${dir}\0${key}`, hit);
      }
      return hit;
    }
    return kind === 'ref' ? this.refAnswers.get(dir)?.get(key) : undefined;
  }

  /** Keeps a successful answer (and `merge-base --is-ancestor`'s "no", exit 1). */
  keep(dir: string, kind: ReadKind, key: string, answer: MemoAnswer, no = false): void {
    if (!(answer.code === 0 || (no && answer.code === 1)) || answer.stdout.length > MAX_ANSWER_CHARS) return;
    if (kind === 'object') {
      this.objectAnswers.set(`${dir}\0${key}`, answer);
      if (this.objectAnswers.size > MAX_OBJECT_ANSWERS) this.objectAnswers.delete(this.objectAnswers.keys().next().value!);
    } else if (kind === 'ref') {
      let answers = this.refAnswers.get(dir);
      if (!answers) this.refAnswers.set(dir, (answers = new Map()));
      answers.set(key, answer);
    }
  }

  /** A call that may have moved a ref of `dir`: its ref reads (or, `notesOnly`, those of notes) are read again. */
  forgetRefs(dir: string, notesOnly = false): void {
    const answers = this.refAnswers.get(dir);
    if (!answers) return;
    if (!notesOnly) this.refAnswers.delete(dir);
    else for (const key of [...answers.keys()]) if (readsNotes(key)) answers.delete(key);
  }

  forgetAllRefs(): void {
    this.refAnswers.clear();
  }
}
