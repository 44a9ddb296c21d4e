/**
 * Halt and error patterns over a peer's output. A halt pattern (auth failed,
 * quota exhausted, invalid API key, usage limit) means the peer cannot work until the operator acts;
 * an error pattern (rate limit, API 5xx) fails the turn. Halt patterns are echo-immune: a line that
 * is clearly repository content the peer printed — a diff line, a log line with a commit sha, a
 * file:line listing, a quoted JSON key — never halts the run, whatever it says.
 *
 * The scan is linear in the size of the output, whatever the peer prints: a line longer than two
 * windows is judged by its first and its last LINE_WINDOW characters (a CLI's status line is
 * short; the middle of a multi-megabyte line is a flood, not a status), so even a pattern that
 * backtracks badly costs at most a bounded amount per window. All halt patterns run as one
 * combined regular expression, and so do all error patterns: one pass per window, not one per
 * pattern.
 */
export { DEFAULT_ERROR_PATTERNS, DEFAULT_HALT_PATTERNS } from '../config/config-schema.ts';

export type PatternMatch = { kind: 'halt' | 'error'; pattern: string; snippet: string };

/** Characters of a long line's head, and of its tail, that the patterns see. */
export const LINE_WINDOW = 4096;

// One regular expression, every alternative anchored at the line start, so a line costs one pass.
const ECHO_LINE = new RegExp(
  [
    /^[0-9a-f]{7,40} /, // git log --oneline, blame
    /^(?:diff |index |@@ |\+\+\+ |--- )/, // diff headers
    /^[+-]/, // added / removed diff lines
    /^\s*[#>] /, // quoted text, markdown headings, shell comments
    /^\s*\d+[.)] /, // numbered listings
    /^\s*[-*]\s+\[[^\]]*\]/, // checklists, tagged bullets
    /^\s*"[^"]*"\s*:/, // JSON object members
    /^\s*[\w./-]+\.(?:py|md|yml|yaml|txt|rs|js|ts|sh|toml|json|c|cc|cpp|h|go|log):\d+/, // grep -n, compiler output
  ]
    .map((re) => `(?:${re.source})`)
    .join('|'),
);

/** Whether a line is repository content the peer printed (judged on its first window). */
export function isEchoedContent(line: string): boolean {
  return ECHO_LINE.test(line.length > LINE_WINDOW ? line.slice(0, LINE_WINDOW) : line);
}

/** One kind's patterns: a single alternation when they combine, else each in turn. */
type PatternSet = { sources: string[]; combined?: { re: RegExp; group: number[] }; each: RegExp[] };
export type CompiledPatterns = { halt: PatternSet; error: PatternSet };

function captureGroups(source: string): number {
  return new RegExp(`${source}|`).exec('')!.length - 1;
}

function compileSet(sources: readonly string[]): PatternSet {
  const each = sources.map((p) => new RegExp(p, 'm'));
  const set: PatternSet = { sources: [...sources], each };
  // A backreference (\1, \k<name>) would point at another pattern's group once combined.
  if (sources.length < 2 || sources.some((p) => /\\(?:[1-9]|k<)/.test(p))) return set;
  try {
    const group: number[] = [];
    let next = 1;
    for (const p of sources) {
      group.push(next);
      next += 1 + captureGroups(p);
    }
    set.combined = { re: new RegExp(sources.map((p) => `(${p})`).join('|'), 'm'), group };
  } catch {
    // Two patterns naming the same group cannot share one expression: scan them one by one.
  }
  return set;
}

/**
 * Compiled sets by their sources: a run's patterns come from its config and do not change, and the
 * loop scans every turn's output with them (twice a tick: live and after the turn), so each set is
 * compiled once per process. Sharing is safe: no expression here has the `g` or `y` flag, so
 * `exec` keeps no state between calls. Bounded: a process sees only a few distinct configs.
 */
const compiled = new Map<string, CompiledPatterns>();
const COMPILED_MAX = 16;

export function compilePatterns(halt: readonly string[], error: readonly string[]): CompiledPatterns {
  const key = JSON.stringify([halt, error]);
  const known = compiled.get(key);
  if (known) return known;
  const made = { halt: compileSet(halt), error: compileSet(error) };
  if (compiled.size >= COMPILED_MAX) compiled.clear();
  compiled.set(key, made);
  return made;
}

/** At most 200 characters of the match, its start and its end (where the message usually is). */
function snippet(matched: string): string {
  const text = matched.replace(/^\u0000/, '');
  return text.length <= 200 ? text : `${text.slice(0, 100)}…${text.slice(-99)}`;
}

function matchSet(set: PatternSet, text: string): { pattern: string; snippet: string } | null {
  if (set.combined) {
    const m = set.combined.re.exec(text);
    if (!m) return null;
    const i = set.combined.group.findIndex((g) => m[g] !== undefined);
    return { pattern: set.sources[i]!, snippet: snippet(m[0]) };
  }
  for (let i = 0; i < set.each.length; i++) {
    const m = set.each[i]!.exec(text);
    if (m) return { pattern: set.sources[i]!, snippet: snippet(m[0]) };
  }
  return null;
}

/**
 * What the patterns see of one line: the whole line when it fits in two windows, else its head
 * and its tail. The tail does not start a line: it begins with a marker (so `^` cannot match at
 * the cut) and one character of context (so `\b` at the cut is what it is in the line). The marker
 * is a double quote when the line had one before the tail, so the default patterns' quote-free
 * prefix rule ("an error quoted inside JSON is not a status line") holds across the cut.
 */
export type LineView = { head: string; tail?: string };

function tailView(quoteBefore: boolean, contextAndTail: string): string {
  return `${quoteBefore ? '"' : '\u0000'}${contextAndTail}`;
}

export function lineView(line: string): LineView {
  if (line.length <= 2 * LINE_WINDOW) return { head: line };
  const start = line.length - LINE_WINDOW;
  return { head: line.slice(0, LINE_WINDOW), tail: tailView(line.lastIndexOf('"', start - 2) >= 0, line.slice(start - 1)) };
}

function scanView(view: LineView, p: CompiledPatterns): PatternMatch | null {
  if (!view.head) return null;
  if (!ECHO_LINE.test(view.head)) {
    for (const text of [view.head, view.tail]) {
      const m = text === undefined ? null : matchSet(p.halt, text);
      if (m) return { kind: 'halt', ...m };
    }
  }
  for (const text of [view.head, view.tail]) {
    const m = text === undefined ? null : matchSet(p.error, text);
    if (m) return { kind: 'error', ...m };
  }
  return null;
}

function hasPatterns(p: CompiledPatterns): boolean {
  return p.halt.sources.length > 0 || p.error.sources.length > 0;
}

/** First actionable match, in line order; within a line, halt patterns come before error patterns. */
export function scanLines(text: string, p: CompiledPatterns): PatternMatch | null {
  if (!hasPatterns(p)) return null;
  let from = 0;
  while (from <= text.length) {
    let end = text.indexOf('\n', from);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 && end > from ? text.slice(from, end - 1) : text.slice(from, end);
    const m = scanView(lineView(line), p);
    if (m) return m;
    from = end + 1;
  }
  return null;
}

/**
 * A line arriving in pieces, kept as its LineView would see it: the whole line while it fits in two
 * windows, then its head, its rolling tail (plus one character of context) and whether the dropped
 * middle held a double quote. Memory stays bounded however long the line grows.
 */
class PartialLine {
  private text = '';
  private head: string | undefined;
  private quoteBefore = false;

  append(chunk: string): void {
    this.text += chunk;
    if (this.head === undefined && this.text.length <= 2 * LINE_WINDOW + 1) return;
    if (this.head === undefined) {
      this.head = this.text.slice(0, LINE_WINDOW);
      this.text = this.text.slice(LINE_WINDOW);
    }
    // Keep the tail window, one character of context, and one more for a trailing \r.
    const keep = LINE_WINDOW + 2;
    if (this.text.length > keep) {
      const dropped = this.text.length - keep;
      if (!this.quoteBefore && this.text.lastIndexOf('"', dropped - 1) >= 0) this.quoteBefore = true;
      this.text = this.text.slice(dropped);
    }
  }

  /** The finished line's view; the line is reset. */
  take(): LineView {
    let text = this.text;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const head = this.head;
    const quoteBefore = this.quoteBefore;
    this.text = '';
    this.head = undefined;
    this.quoteBefore = false;
    if (head === undefined) return lineView(text);
    // text holds [chars between the dropped middle and the context][context char][tail window].
    const extra = text.length - LINE_WINDOW - 1;
    const before = quoteBefore || head.includes('"') || (extra > 0 && text.lastIndexOf('"', extra - 1) >= 0);
    const rest = text.slice(extra);
    return { head, tail: tailView(before, rest) };
  }
}

/**
 * Incremental scanner for the live output callback: scans complete lines as they arrive, so a
 * peer stuck in a retry loop after "quota exhausted" is stopped at once rather than at idle timeout.
 * It sees each line exactly as scanLines would, whatever the chunking.
 */
export class LiveScanner {
  private partial = { stdout: new PartialLine(), stderr: new PartialLine() };
  match: PatternMatch | null = null;

  constructor(private readonly patterns: CompiledPatterns) {}

  feed(stream: 'stdout' | 'stderr', text: string): PatternMatch | null {
    if (this.match || !hasPatterns(this.patterns)) return this.match;
    const line = this.partial[stream];
    let from = 0;
    for (;;) {
      const end = text.indexOf('\n', from);
      if (end < 0) break;
      line.append(text.slice(from, end));
      this.match = scanView(line.take(), this.patterns);
      if (this.match) return this.match;
      from = end + 1;
    }
    line.append(text.slice(from));
    return null;
  }
}
