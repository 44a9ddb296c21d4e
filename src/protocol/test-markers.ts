/**
 * New skip/xfail/only markers, disabled tests and deleted tests in a diff. A peer that cannot make
 * a test pass is tempted to skip, focus or delete it; each of those is reported with file and line
 * so the next prompt and the report can name it. A test file renamed or moved to a path that is not
 * a test path counts as deleted. Pure over unified-diff text; `scanRangeForTestMarkers` is the git
 * adapter.
 */
import { createHash } from 'node:crypto';
import { gitLines } from '../git/git.ts';
import { diffGitNames, patchLineName, READABLE_DIFF_FLAGS, renameLineName } from '../git/diff-header.ts';
import { isTestPath, movesTestOutOfReach } from './test-paths.ts';
import { codeMeddlingKind, isOneLineEntryPointGuard, opensEntryPointGuard } from './test-run-meddling.ts';
import { dataLineReason, showCodePoints, trojanSourceReason } from './trojan-source.ts';
import { shownName } from '../cli/terminal-text.ts';

export type MarkerKind = 'skip' | 'xfail' | 'only' | 'disabled-test' | 'deleted-test' | 'deleted-test-file' | 'test-sniffing' | 'test-tampering' | 'trojan-source';
export type MarkerFinding = { file: string; line: number; kind: MarkerKind; text: string };

/** `inTests`: only in test files (an options object `{ skip: true }` in the product is data). */
type Rule = { kind: MarkerKind; re: RegExp; inTests?: boolean };

/** Markers recognised on ADDED lines. */
const ADDED_RULES: Rule[] = [
  { kind: 'skip', re: /@?pytest\.mark\.skip(if)?\b/ },
  { kind: 'skip', re: /\bpytest\.skip\s*\(/ },
  { kind: 'xfail', re: /@?pytest\.mark\.xfail\b/ },
  { kind: 'xfail', re: /\bpytest\.xfail\s*\(/ },
  { kind: 'skip', re: /@unittest\.skip(If|Unless)?\b/ },
  // unittest's skip exception, raised from anywhere (a test, or the code a test imports: pytest
  // then skips the whole test module at collection), and its per-test call.
  { kind: 'skip', re: /\bSkipTest\b/ },
  { kind: 'skip', re: /\.skipTest\s*\(/ },
  // pytest's own outcomes under any alias (`_p.skip.Exception(…, allow_module_level=True)` raised
  // from calc.py at import skipped the test module; `pytest.skip` named without a call), and
  // importorskip, which skips when its module is missing.
  { kind: 'skip', re: /\bskip\.Exception\b|\bimportorskip\s*\(|\b_pytest\.outcomes\b|\bSkipped\s*\(|\bpytest\.skip\b/ },
  { kind: 'xfail', re: /\bxfail\.Exception\b|\bXFailed\s*\(/ },
  { kind: 'xfail', re: /@unittest\.expectedFailure\b/ },
  { kind: 'skip', re: /\b(it|describe|test|context|suite)\.skip(If)?\s*[(.]/ },
  { kind: 'skip', re: /\b(it|describe|test)\.todo\s*\(/ },
  { kind: 'skip', re: /(^|[^\w.])x(it|describe|test)\s*\(/ },
  { kind: 'only', re: /\b(it|describe|test|context|suite)\.only\s*\(/ },
  { kind: 'only', re: /(^|[^\w.])f(it|describe)\s*\(/ },
  // node:test's options (`test('x', { skip: true }, …)`, `{ todo: 'later' }`, `{ only: true }`): a
  // value that is not plainly off, on a test call's line; a literal on or a reason anywhere.
  { kind: 'skip', re: /\b(skip|todo)\s*:\s*(true\b|!|['"`])|\b(it|test|describe|suite)\s*\([^\n]*\{[^\n}]*\b(skip|todo)\s*:\s*(?!false\b|0\b|null\b|undefined\b)[^\s,}]/, inTests: true },
  { kind: 'only', re: /\bonly\s*:\s*true\b/, inTests: true },
  // A test's context skipping itself: node:test `t.skip()` / `t.todo()`, mocha `this.skip()`.
  { kind: 'skip', re: /\b(t|ctx|context|this)\.(skip|todo)\s*\(/ },
  // Go's testing.TB under the usual receiver names.
  { kind: 'skip', re: /\b(t|b|f|tb|tt)\.Skip(f|Now)?\s*\(/ },
  { kind: 'skip', re: /#\[ignore(\s*=\s*"[^"]*")?\]/ },
  // JUnit 4 and 5 (`@Ignore`, `@Disabled`, `@DisabledOnOs(…)`, `@EnabledIf(…)`), NUnit `[Ignore]`, xUnit `Skip = "…"`.
  { kind: 'skip', re: /@(Ignore|Disabled\w*|Enabled(If|On)\w*)\b|\[\s*Ignore\s*[\](]|\b(Fact|Theory)\s*\([^)]*\bSkip\s*=/ },
];

/**
 * A finding's text: the line, trimmed, cut at 300 characters with its length and a digest of the
 * whole, so a 100 MB line costs the run's log, the report and the prompts a line and two findings
 * stay apart exactly when their lines differ (escape-valves.ts matches them by text).
 */
function findingText(text: string): string {
  const t = text.trim();
  if (t.length <= 300) return t;
  return `${t.slice(0, 300)} … (${t.length - 300} more characters elided, sha256 ${createHash('sha256').update(t).digest('hex').slice(0, 16)})`;
}

/** A test definition that has been commented out. */
const DISABLED_RULES: RegExp[] = [
  /^\s*#\s*(async\s+)?def\s+test_\w*\s*\(/, // python
  /^\s*\/\/\s*(it|test|describe)\s*\(/, // js/ts
  /^\s*\/\/\s*func\s+Test\w*\s*\(/, // go
  /^\s*\/\/\s*#\[test\]/, // rust
];

/** A test definition; its name says whether a removed one came back elsewhere in the diff. */
const TEST_DEFINITION: Array<{ re: RegExp; name: (m: RegExpExecArray) => string }> = [
  { re: /^\s*(?:async\s+)?def\s+(test_\w*)\s*\(/, name: (m) => m[1]! },
  // `it.only(` / `xit(` / `test.skip(` name the same test as `it(`: a marker is not a deletion.
  { re: /^\s*[xf]?(it|test|describe)(?:\.\w+)?\s*\(\s*(['"`])(.*?)\2/, name: (m) => `${m[1]}:${m[3]}` },
  { re: /^\s*func\s+(Test\w*)\s*\(/, name: (m) => m[1]! },
  { re: /^\s*(?:pub\s+)?(?:async\s+)?fn\s+(\w+)\s*\(/, name: (m) => m[1]! },
];

const CODE_EXT = /\.(py|pyi|[cm]?[jt]sx?|go|rs|rb|java|kt|swift|php|cs)$/i;

function definitionName(line: string, file: string): string | undefined {
  for (const d of TEST_DEFINITION) {
    // A Rust `fn` counts only in test code; everywhere else it is just a function.
    if (d.re.source.includes('fn\\s+') && !(isTestPath(file) || file.endsWith('.rs'))) continue;
    const m = d.re.exec(line);
    if (m) return d.name(m);
  }
  return undefined;
}

/**
 * A skip or xfail line that a diff removes and adds again with the test it belongs to (the same
 * text, on the same test's name) is that test moved, not a new marker: an honest refactor that
 * moved a Go test with its pre-existing `t.Skip` under `testing.Short()` to another file, or split a
 * pytest module with its `skipif` decorators, was held for markers the user had written. The test a
 * marker belongs to is the one its line defines (`it.skip('name', …)`), else the next definition
 * in its hunk for a decorator or attribute line (`@…`, `#[…]`, `[…]`), else the one before it; a
 * marker with no test of its own in its hunk, one moved onto another test, and each copy beyond
 * the removed ones stay new (SECURITY.md, "Done means done", "A moved test keeps its markers").
 */
type MarkerLine = { text: string; owner?: string; finding?: MarkerFinding };
const ATTRIBUTE_LINE = /^\s*(@|#\[|\[)/;

/** Scans unified diff text (`git diff -U0`) for newly added markers and removed tests. */
export function scanDiffForTestMarkers(diff: string): MarkerFinding[] {
  const scanner = markerScanner();
  for (const raw of diff.split('\n')) scanner.line(raw);
  return scanner.findings();
}

/** The scan of scanDiffForTestMarkers fed one diff line at a time (a diff is never held whole). */
export function markerScanner(): { line(raw: string): void; findings(): MarkerFinding[] } {
  const findings: MarkerFinding[] = [];
  const removedDefs: Array<{ file: string; line: number; name: string; text: string }> = [];
  const addedDefNames = new Set<string>();
  let file = '';
  let oldLine = 0;
  let newLine = 0;
  let deletedFile = false;
  let oldPath = '';
  // Header lines (names, renames, deletions) come between `diff --git` and the first `@@`. After
  // that, a line starting `+++ ` is an added line reading `++ …` (valid code in most languages),
  // never a new file name: read as one, it would hide every marker after it.
  let inHeader = false;
  // Marker lines on each side of the diff, with the test each belongs to (moved markers pair up).
  const markerLines = { added: [] as MarkerLine[], removed: [] as MarkerLine[] };
  const lastDef: { added?: string; removed?: string } = {};
  const awaiting: { added: MarkerLine[]; removed: MarkerLine[] } = { added: [], removed: [] };
  // Markers of the current hunk; one with no test in its hunk belongs to the hunk itself, so a line
  // reformatted in place (`black`, `prettier`: the test it marks not in the diff) pairs up with its
  // old self, and with nothing elsewhere.
  let hunkMarkers: MarkerLine[] = [];
  let hunkId = 0;
  const newHunk = () => {
    for (const m of hunkMarkers) if (m.owner === undefined) m.owner = `\0hunk ${hunkId}`;
    hunkMarkers = [];
    hunkId++;
    lastDef.added = lastDef.removed = undefined;
    awaiting.added = [];
    awaiting.removed = [];
  };
  const markerLine = (side: 'added' | 'removed', text: string, finding?: MarkerFinding) => {
    // Whitespace aside: a formatter's respacing is no new marker.
    const m: MarkerLine = { text: text.replace(/\s+/g, ''), finding };
    hunkMarkers.push(m);
    // `it.skip('name', …)` names its own test.
    const own = definitionName(text, file);
    if (own) m.owner = own;
    else if (ATTRIBUTE_LINE.test(text)) awaiting[side].push(m);
    else m.owner = lastDef[side];
    markerLines[side].push(m);
  };
  const definition = (side: 'added' | 'removed', name: string) => {
    lastDef[side] = `${name}`;
    for (const m of awaiting[side]) m.owner = name;
    awaiting[side] = [];
  };
  const skipRule = (text: string) => ADDED_RULES.find((r) => (!r.inTests || isTestPath(file)) && r.re.test(text));
  // The top-level line (column 0) the next added line sits under, to tell an entry point's guard
  // (test-run-meddling.ts, opensEntryPointGuard). Within a hunk every line is added (-U0), so the
  // last added top-level line is it; before one, in Python, it is the hunk header's function line
  // (git's default: the nearest line before the hunk that starts with a letter, `_` or `$`, and
  // indentation is Python's syntax). In other languages a closing `}` that git does not name there
  // may sit between, so only a guard added in the same hunk counts (fail closed). A header the
  // previous hunk of the file also had means no line git names lies between the two hunks, so a
  // top-level line added in that hunk is nearer than the header (`x = (` added below a guard's
  // body turns the guarded lines after it into an expression run at import).
  let topLevel = '';
  let lastHeader: string | undefined;

  const line = (raw: string): void => {
    if (raw.startsWith('diff --git ')) {
      deletedFile = false;
      lastHeader = undefined;
      file = '';
      oldPath = diffGitNames(raw)?.from ?? '';
      inHeader = true;
      newHunk();
      return;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHeader = false;
      newHunk();
      const header = raw.replace(/^@@ [^@]*@@ ?/, '');
      if (!/\.pyi?$/i.test(file)) topLevel = '';
      else if (header !== lastHeader) topLevel = header;
      lastHeader = header;
      return;
    }
    if (inHeader) {
      if (raw.startsWith('rename from ')) {
        oldPath = renameLineName(raw, 'rename from ') ?? '';
      } else if (raw.startsWith('rename to ')) {
        // A test renamed or moved where the runner does not look is as good as deleted.
        const to = renameLineName(raw, 'rename to ') ?? '';
        if (movesTestOutOfReach(oldPath, to)) findings.push({ file: oldPath, line: 0, kind: 'deleted-test-file', text: `test file ${oldPath} moved out of the runner's reach (to ${to})` });
      } else if (raw.startsWith('deleted file mode')) {
        deletedFile = true;
        if (isTestPath(oldPath)) findings.push({ file: oldPath, line: 0, kind: 'deleted-test-file', text: `test file ${oldPath} deleted` });
      } else if (raw.startsWith('+++ ')) {
        file = patchLineName(raw) ?? oldPath;
      }
      return;
    }
    if (!file) return;
    if (!CODE_EXT.test(file)) {
      // C, shell, a Makefile, data, documents: only the Trojan-source rules read them (trojan-source.ts).
      if (!raw.startsWith('+')) return;
      const trojan = dataLineReason(raw.slice(1), file, newLine);
      if (trojan) findings.push({ file, line: newLine, kind: 'trojan-source', text: `${trojan}: ${showCodePoints(findingText(raw.slice(1)))}` });
      newLine++;
      return;
    }
    if (raw.startsWith('+')) {
      const text = raw.slice(1);
      for (const rule of ADDED_RULES) {
        if (rule.inTests && !isTestPath(file)) continue;
        if (rule.re.test(text)) {
          const f: MarkerFinding = { file, line: newLine, kind: rule.kind, text: findingText(text) };
          findings.push(f);
          if (rule.kind === 'skip' || rule.kind === 'xfail') markerLine('added', text, f);
          break;
        }
      }
      if (DISABLED_RULES.some((re) => re.test(text))) findings.push({ file, line: newLine, kind: 'disabled-test', text: findingText(text) });
      const python = /\.pyi?$/i.test(file);
      if (/^[^\s]/.test(text)) topLevel = text;
      // Braces, not indentation, end a block outside Python: `  main(); } process.exit(0);` leaves
      // the guard mid-line. A line with a brace is never excused, and a `}` ends the guard (fail closed).
      const braces = !python && /[{}]/.test(text);
      // A line terminator of the language's inside git's line (a lone CR in Python and JavaScript,
      // U+2028/U+2029 in JavaScript) starts a new line at column 0 there: never excused (fail closed).
      const splitLine = /\r(?!\s*$)/.test(text) || (!python && /[\u2028\u2029]/.test(text));
      const inEntryPointGuard = !splitLine && ((opensEntryPointGuard(topLevel) && (python || (/^\s/.test(text) && !braces))) || (!python && isOneLineEntryPointGuard(text)));
      if (braces && /^\s/.test(text) && text.includes('}')) topLevel = '';
      const meddling = isTestPath(file) ? undefined : codeMeddlingKind(text, { inEntryPointGuard });
      if (meddling) findings.push({ file, line: newLine, kind: meddling, text: findingText(text) });
      // Test files too: a test that reads as asserting and does not is as good as a skipped one.
      const trojan = trojanSourceReason(text, file, newLine);
      if (trojan) findings.push({ file, line: newLine, kind: 'trojan-source', text: `${trojan}: ${showCodePoints(findingText(text))}` });
      const name = definitionName(text.replace(/^\s*(#|\/\/)\s*/, ''), file);
      if (name) addedDefNames.add(name);
      const own = definitionName(text, file);
      if (own) definition('added', own);
      newLine++;
    } else if (raw.startsWith('-')) {
      const text = raw.slice(1);
      const rule = skipRule(text);
      if (rule && (rule.kind === 'skip' || rule.kind === 'xfail')) markerLine('removed', text);
      const own = definitionName(text, file);
      if (own) definition('removed', own);
      const name = deletedFile ? undefined : own;
      if (name && (isTestPath(file) || /^test_|^Test|^(it|test|describe):/.test(name))) removedDefs.push({ file, line: oldLine, name, text: findingText(text) });
      oldLine++;
    }
  };
  const result = (): MarkerFinding[] => {
    // A marker moved with its test is not new; each removed marker excuses one added copy.
    newHunk();
    const moved = new Set<MarkerFinding>();
    const removed = markerLines.removed.filter((m) => m.owner !== undefined);
    for (const m of markerLines.added) {
      if (m.owner === undefined || !m.finding) continue;
      const at = removed.findIndex((r) => r.owner === m.owner && r.text === m.text);
      if (at < 0) continue;
      removed.splice(at, 1);
      moved.add(m.finding);
    }
    // A removed definition that reappears (moved, re-indented, commented-out) is not a deletion.
    const all = findings.filter((f) => !moved.has(f));
    for (const r of removedDefs) {
      if (!addedDefNames.has(r.name)) all.push({ file: r.file, line: r.line, kind: 'deleted-test', text: `removed ${r.text}` });
    }
    return all;
  };
  return { line, findings: result };
}

/**
 * Findings for `base..head` in a repository, the diff streamed (however large the peers made it);
 * undefined when git cannot read the range: a caller that gates on it must fail, not pass (and
 * `alsoRead` has then seen an incomplete diff).
 */
export function scanRangeForTestMarkers(repo: string, base: string, head = 'HEAD', alsoRead?: (line: string) => void): MarkerFinding[] | undefined {
  const scanner = markerScanner();
  // `alsoRead`: another reader of the same diff (the control-plane paths), one git call for both.
  const res = gitLines(repo, ['diff', '-U0', ...READABLE_DIFF_FLAGS, '-M', `${base}..${head}`], alsoRead ? (l) => (scanner.line(l), alsoRead(l)) : scanner.line);
  return res.code === 0 ? scanner.findings() : undefined;
}

export function formatMarkerFinding(f: MarkerFinding): string {
  return `${shownName(f.file)}${f.line ? `:${f.line}` : ''}: ${f.kind}: ${f.text.slice(0, 160)}`;
}
