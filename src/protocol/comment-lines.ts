/**
 * Which changed lines of a diff are comments only: what a turn's classification (turn-diff.ts)
 * counts as cosmetic, and what the reviewer's compacted views (review-excerpt.ts) leave out. A
 * line taken for a comment that is code is a change nobody weighs, so every doubt reads as code.
 *
 * A block comment's inner line (` * note`) has the shape of code that continues an expression
 * (`return a\n  * (b - 1);`, a generator method `*gen() {`): it is a comment only where the diff
 * shows the block open on an earlier line of the same side of the same hunk (`diffCommentReader`).
 * Judged alone (`isCosmeticLine`), it is code.
 */

/**
 * `prefixes`: what starts a comment that runs to the end of the line; `blocks`: the delimiters of
 * a comment that may end within the line, after which the line may go on with code
 * (`/* fast path *\/ if (a === 2) return 5;`); `inner`: what starts a line inside an open block
 * comment by convention (`*`), a comment only there; `code`: prefixes of code that a comment
 * prefix would take (PHP's `#[Attribute]`).
 */
export type CommentStyle = { prefixes: string[]; blocks?: Array<[string, string]>; inner?: string; code?: string[]; strings?: string[] };
const SLASH: CommentStyle = { prefixes: ['//'], blocks: [['/*', '*/']], inner: '*', strings: ['`', '"""'] };
const HASH: CommentStyle = { prefixes: ['#'], strings: ['"""', "'''"] };
const DASH: CommentStyle = { prefixes: ['--'], blocks: [['--[[', ']]'], ['--[=[', ']=]'], ['{-', '-}']] };
const SEMI: CommentStyle = { prefixes: [';'] };
const MARKUP: CommentStyle = { prefixes: [], blocks: [['<!--', '-->']] };
const PHP: CommentStyle = { prefixes: ['//', '#'], blocks: [['/*', '*/']], inner: '*', code: ['#['], strings: ['`'] };

const STYLE_BY_EXT: Record<string, CommentStyle> = {};
for (const e of 'js jsx mjs cjs ts tsx mts cts go rs c h cc cpp hpp cxx java kt kts swift cs scala dart groovy zig proto css scss less sol v'.split(' ')) STYLE_BY_EXT[e] = SLASH;
for (const e of 'py pyi sh bash zsh rb pl r yaml yml toml cfg ini conf mk ex exs nim cr tcl ps1'.split(' ')) STYLE_BY_EXT[e] = HASH;
for (const e of 'sql lua hs elm ada'.split(' ')) STYLE_BY_EXT[e] = DASH;
for (const e of 'lisp clj el scm asm s'.split(' ')) STYLE_BY_EXT[e] = SEMI;
for (const e of 'html htm xml vue svelte'.split(' ')) STYLE_BY_EXT[e] = MARKUP;
STYLE_BY_EXT.php = PHP;
const STYLE_BY_NAME: Record<string, CommentStyle> = { Makefile: HASH, GNUmakefile: HASH, Dockerfile: HASH, Containerfile: HASH, Rakefile: HASH, Gemfile: HASH };

/** The comment syntax of a file by its name (tests and documents included), null when unknown. */
export function commentStyleOf(path: string): CommentStyle | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return STYLE_BY_EXT[dot > 0 ? name.slice(dot + 1).toLowerCase() : ''] ?? STYLE_BY_NAME[name] ?? null;
}

/**
 * A line break a language honours that a diff shows inside one line (a lone CR, a line or paragraph
 * separator, NEL), raw or as visible-hidden.ts shows it: `# note<CR>if a == 2: return 5` is code to
 * Python and JavaScript, so a line holding one is never only a comment.
 */
const INNER_LINE_BREAK = /\r(?!$)|[\u2028\u2029\u0085]|<U\+(000D|2028|2029|0085)>/;

type Block = [string, string];
/** A line's judgement, and the block comment still open at its end (null: none, or not known). */
type Scan = { comment: boolean; open: Block | null };

/** A line that changes nothing a program does, judged alone: blank, or wholly a comment in its file's syntax. */
export function isCosmeticLine(text: string, style: CommentStyle | null): boolean {
  return scanLine(text, style, null).comment;
}

/**
 * Whether the line holds an odd number of a delimiter that opens or closes a string over several
 * lines (a JavaScript template, a Python triple quote): inside such a string a line that reads as
 * a comment may close it and go on with code (`` /*`; if (a * b > a + b) return a + b; ``, a second
 * red team's line, dropped from the reviewer's view). Balanced (`` // see `add()` ``) it is prose.
 */
function crossesString(t: string, style: CommentStyle): boolean {
  return (style.strings ?? []).some((q) => t.split(q).length % 2 === 0);
}

/**
 * Judges one line that follows `open` (the block comment a wholly-comment line before it left
 * open, or null). Inside a block only a line of the block's inner shape (`* note`) or one that
 * closes it counts: the block was opened by what looked like a comment, which a string literal
 * can hold (`` `\n/*\n`; return 5; ``), so a line of any other shape is judged as if outside it.
 */
function scanLine(text: string, style: CommentStyle | null, open: Block | null): Scan {
  if (INNER_LINE_BREAK.test(text)) return { comment: false, open: null };
  const t = text.trim();
  if (t === '') return { comment: true, open };
  if (style === null) return { comment: false, open: null };
  if (crossesString(t, style)) return { comment: false, open: null };
  if (open) {
    const end = t.indexOf(open[1]);
    if (end >= 0) return whollyComment(t.slice(end + open[1].length).trim(), style);
    if (style.inner !== undefined && t.startsWith(style.inner)) return { comment: true, open };
  }
  return whollyComment(t, style);
}

/**
 * Whether trimmed `t` is comments only, and the block it leaves open. A block comment that closes
 * within the line leaves what follows it to be judged again, as does the end of one opened on an
 * earlier line: a line is not a comment because it starts like one (`*\/ return 5;`,
 * `/* x *\/ if (a === 2) return 5;`).
 */
function whollyComment(t: string, style: CommentStyle): Scan {
  if (t === '') return { comment: true, open: null };
  if (style.code?.some((c) => t.startsWith(c))) return { comment: false, open: null };
  for (const block of style.blocks ?? []) {
    const [open, close] = block;
    if (t.startsWith(open)) {
      const end = t.indexOf(close, open.length);
      return end < 0 ? { comment: true, open: block } : whollyComment(t.slice(end + close.length).trim(), style);
    }
  }
  for (const [, close] of style.blocks ?? []) if (t.startsWith(close)) return whollyComment(t.slice(close.length).trim(), style);
  return { comment: style.prefixes.some((p) => t.startsWith(p)), open: null };
}

/**
 * Reads one file's diff lines in order (`@@` lines, context lines, added and removed lines) and
 * judges each added or removed line, knowing the block comment each side has open: the old file's
 * lines are the context and removed lines, the new file's the context and added ones. Each hunk
 * starts outside any comment as far as it knows (a hunk may start inside one: its `*` lines then
 * read as code).
 */
export function diffCommentReader(style: CommentStyle | null): { cosmetic(rawLine: string): boolean; hunk(): void } {
  let oldOpen: Block | null = null;
  let newOpen: Block | null = null;
  return {
    hunk() {
      oldOpen = newOpen = null;
    },
    cosmetic(raw: string): boolean {
      const sign = raw[0];
      const text = raw.slice(1);
      if (sign === '-') {
        const s = scanLine(text, style, oldOpen);
        oldOpen = s.open;
        return s.comment;
      }
      if (sign === '+') {
        const s = scanLine(text, style, newOpen);
        newOpen = s.open;
        return s.comment;
      }
      if (sign === ' ') {
        const before = scanLine(text, style, oldOpen);
        const after = scanLine(text, style, newOpen);
        oldOpen = before.open;
        newOpen = after.open;
      }
      return false;
    },
  };
}
