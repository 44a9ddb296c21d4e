/**
 * `test-coverage-3-class`: the test suite covers happy, edge and sad paths (in aggregate, for
 * js/go/rust). Test names — `def test_*`, `it('…')`/`test('…')`,
 * `func Test*`, Rust `fn` under `#[test]` — and `kind: happy, sad` markers in the file's own line
 * comment (`# kind: …` in Python, `// kind: …` in Go, Rust, JS/TS) are classified; all three kinds
 * must appear somewhere. Rust keeps unit tests beside the code (`#[cfg(test)] mod
 * tests` in src/), so every .rs file with a `#[test]` counts as a test file.
 */
import { readTextBeneath } from '../../src/fs/read-beneath.ts';
import { MiB } from '../../src/fs/safe-read.ts';
import { isTestPath } from '../../src/protocol/test-paths.ts';
import { openCheckRepo } from './check-repo.ts';
import type { Check } from './types.ts';

export type TestKind = 'happy' | 'edge' | 'sad';
const KIND_RE: Record<TestKind, RegExp> = {
  happy: /happy|ok|success|nominal|baseline|valid|default|minimal|canonical|single|passthrough|round[_ -]?trip|writes?|reads?|creates?|accepts?|parses?|returns?|supports?|works?/i,
  edge: /edge|boundary|empty|max|min|long|unicode|multiple|duplicate|oversized|symlink|concurrent|race|truncat|bounded|limit|zero|large/i,
  sad: /sad|fail|error|invalid|exception|timeout|broken|refuses?|rejects?|missing|corrupt|garbage|denied|unknown|ignores?|wrong|malformed|bad[_ -]|panic|throws?/i,
};
const NAME_PATTERNS = [/^\s*(?:async\s+)?def\s+(test_\w+)/gm, /\b(?:it|test)\s*\(\s*(['"`])(.*?)\1/gm, /^\s*func\s+(Test\w+)/gm, /#\[test\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?(?:async\s+)?fn\s+(\w+)/gm];
const CODE_EXT = /\.(py|[cm]?[jt]sx?|go|rs)$/;

/** The line comment of a test file's language: `#` in Python, `//` in Go, Rust and JS/TS (where `#` is no comment). */
export function lineCommentOf(path: string): '#' | '//' {
  return /\.py$/.test(path) ? '#' : '//';
}

const MARKER: Record<'#' | '//', RegExp> = { '#': /#\s*kind:\s*([a-z, ]+)/g, '//': /(?:\/\/|\/\*)\s*kind:\s*([a-z, ]+)/g };

/** `path`: the file's, to read `kind:` markers in its language's comment (either comment when absent). */
export function classifyTestNames(text: string, path?: string): Set<TestKind> {
  const kinds = new Set<TestKind>();
  const names: string[] = [];
  for (const re of NAME_PATTERNS) for (const m of text.matchAll(re)) names.push(m[m.length - 1] ?? '');
  const markers = path === undefined ? [MARKER['#'], MARKER['//']] : [MARKER[lineCommentOf(path)]];
  for (const m of markers.flatMap((re) => [...text.matchAll(re)])) for (const k of (m[1] ?? '').split(/[ ,]+/)) if (k in KIND_RE) kinds.add(k as TestKind);
  for (const n of names) for (const k of Object.keys(KIND_RE) as TestKind[]) if (KIND_RE[k].test(n)) kinds.add(k);
  return kinds;
}

export const testCoverage3Class: Check = {
  description: 'Across the test files, test names cover the happy, edge and sad classes.',
  async run(repoDir) {
    const listed = openCheckRepo(repoDir).gitOk(['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter((f) => f && CODE_EXT.test(f) && !f.includes('node_modules/'));
    const read = (f: string): string | undefined => {
      try {
        // Never through a directory swapped for a symlink (read-beneath.ts): the operator may run
        // this check in the peers' clone, and files outside it must not count.
        return readTextBeneath(repoDir, f, 2 * MiB);
      } catch {
        return undefined; // unreadable, oversized or symlinked files (or paths) contribute nothing, as in the baseline
      }
    };
    const kinds = new Set<TestKind>();
    const files: string[] = [];
    for (const f of listed) {
      const rustUnit = !isTestPath(f) && f.endsWith('.rs');
      if (!isTestPath(f) && !rustUnit) continue;
      const text = read(f);
      if (text === undefined || (rustUnit && !text.includes('#[test]'))) continue;
      files.push(f);
      for (const k of classifyTestNames(text, f)) kinds.add(k);
    }
    const missing = (['happy', 'edge', 'sad'] as TestKind[]).filter((k) => !kinds.has(k));
    if (files.length === 0) return { pass: false, report: 'coverage-3-class: no test files found' };
    // The marker in the comment of the project's test files: `// kind:` in a Rust or Go file (`#` is no comment there).
    const comments = [...new Set(files.map(lineCommentOf))].sort().reverse();
    const markers = comments.map((c) => `"${c} kind: ${missing.join(', ')}"`).join(' or ');
    if (missing.length) return { pass: false, report: `coverage-3-class: ${files.length} test file(s); no ${missing.join(', ')} test found (name tests for what they prove, or add ${markers}${comments.length > 1 ? ' (# in Python files, // in the others)' : ''})` };
    return { pass: true, report: `coverage-3-class: happy, edge and sad covered across ${files.length} test file(s)` };
  },
};
