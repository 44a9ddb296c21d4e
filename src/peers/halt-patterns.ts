/**
 * Halt and error patterns over a peer's output (baseline §3.1, §11.4). A halt pattern (auth failed,
 * quota exhausted, invalid API key, usage limit) means the peer cannot work until the operator acts;
 * an error pattern (rate limit, API 5xx) fails the turn. Halt patterns are echo-immune: a line that
 * is clearly repository content the peer printed — a diff line, a log line with a commit sha, a
 * file:line listing, a quoted JSON key — never halts the run, whatever it says.
 */
export { DEFAULT_ERROR_PATTERNS, DEFAULT_HALT_PATTERNS } from '../config/config-schema.ts';

export type PatternMatch = { kind: 'halt' | 'error'; pattern: string; snippet: string };

const ECHO_LINE = [
  /^[0-9a-f]{7,40} /, // git log --oneline, blame
  /^(?:diff |index |@@ |\+\+\+ |--- )/, // diff headers
  /^[+-]/, // added / removed diff lines
  /^\s*[#>] /, // quoted text, markdown headings, shell comments
  /^\s*\d+[.)] /, // numbered listings
  /^\s*[-*]\s+\[[^\]]*\]/, // checklists, tagged bullets
  /^\s*"[^"]*"\s*:/, // JSON object members
  /^\s*[\w./-]+\.(?:py|md|yml|yaml|txt|rs|js|ts|sh|toml|json|c|cc|cpp|h|go|log):\d+/, // grep -n, compiler output
];

export function isEchoedContent(line: string): boolean {
  return ECHO_LINE.some((re) => re.test(line));
}

export type CompiledPatterns = { halt: RegExp[]; error: RegExp[] };

export function compilePatterns(halt: readonly string[], error: readonly string[]): CompiledPatterns {
  return { halt: halt.map((p) => new RegExp(p, 'm')), error: error.map((p) => new RegExp(p, 'm')) };
}

/** First actionable match, in line order; halt patterns are checked before error patterns. */
export function scanLines(text: string, p: CompiledPatterns): PatternMatch | null {
  if (p.halt.length === 0 && p.error.length === 0) return null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line) continue;
    if (!isEchoedContent(line)) {
      for (const re of p.halt) {
        const m = re.exec(line);
        if (m) return { kind: 'halt', pattern: re.source, snippet: m[0].slice(0, 200) };
      }
    }
    for (const re of p.error) {
      const m = re.exec(line);
      if (m) return { kind: 'error', pattern: re.source, snippet: m[0].slice(0, 200) };
    }
  }
  return null;
}

/**
 * Incremental scanner for the live output callback: scans complete lines as they arrive, so a
 * peer stuck in a retry loop after "quota exhausted" is stopped at once rather than at idle timeout.
 */
export class LiveScanner {
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  match: PatternMatch | null = null;

  constructor(private readonly patterns: CompiledPatterns) {}

  feed(stream: 'stdout' | 'stderr', text: string): PatternMatch | null {
    if (this.match) return this.match;
    const buf = this.partial[stream] + text;
    const cut = buf.lastIndexOf('\n');
    if (cut < 0) {
      // Keep at most one long line's worth; a 2 MiB line without newline is not a status line.
      this.partial[stream] = buf.slice(-8192);
      return null;
    }
    this.partial[stream] = buf.slice(cut + 1).slice(-8192);
    this.match = scanLines(buf.slice(0, cut), this.patterns);
    return this.match;
  }
}
