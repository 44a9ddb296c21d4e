/**
 * Git commit trailers: the wire format of the tick protocol (docs/ARCHITECTURE.md, The tick protocol). One parser serves the
 * handoff check, the bug ledger, reviews and anti-cheat, so they can never disagree about what a
 * commit says. It lives with git (not with the protocol's rules) because reading a commit parses its
 * trailers (commits.ts), and the rules sit above git (docs/ARCHITECTURE.md, Layers).
 *
 * The trailer block is the last paragraph of the message. It is read bottom-up and ends at the first
 * blank line or at a line that is not `Key: value`; `(cherry picked from commit …)` lines are
 * skipped, and URL-looking keys (`https: //…`) stop the walk, so prose never parses as trailers.
 */
const TRAILER_LINE = /^([A-Za-z][A-Za-z0-9-]+):[ \t]*(.*?)[ \t]*$/;
const CHERRY_PICK = /^\(cherry picked from commit [0-9a-f]{4,64}\)$/;
const URL_SCHEMES = new Set(['http', 'https', 'ftp', 'ftps', 'ssh', 'file', 'ws', 'wss']);

export type Trailers = {
  /** Every value of a key, in message order. Keys are case-sensitive (`Peer`, `Peer-Status`). */
  all(key: string): string[];
  /** The last-written value of a key (what a repeated trailer means), or undefined. */
  get(key: string): string | undefined;
  entries: Array<[string, string]>;
};

export function parseTrailers(message: string): Trailers {
  const lines = message.replace(/\s+$/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const found: Array<[string, string]> = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (line.trim() === '') break;
    if (CHERRY_PICK.test(line.trim())) continue;
    const m = TRAILER_LINE.exec(line);
    if (!m) break;
    const key = m[1] as string;
    const value = m[2] as string;
    if (URL_SCHEMES.has(key.toLowerCase()) || value.startsWith('//')) break;
    found.push([key, value]);
  }
  // A message that is nothing but "Key: value" lines has no body: its subject is not a trailer.
  const entries = found.reverse();
  if (entries.length === lines.length && lines.length > 0) entries.shift();
  return {
    entries,
    all: (key) => entries.filter(([k]) => k === key).map(([, v]) => v),
    get: (key) => {
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![0] === key) return entries[i]![1];
      return undefined;
    },
  };
}
