/**
 * Tests that live inside product files, by language: a Rust crate's `#[cfg(test)]` items
 * (rust-unit-tests.ts), Python's docstring examples (python-doctests.ts, and the `>>>` examples
 * of a document pytest's `--doctest-glob` can collect), vitest's `if (import.meta.vitest)` blocks
 * (vitest-in-source.ts). One question for every rule that must tell them from the product: the
 * counterfactual of "Green with the tests the run started with" (HEAD's code, the start's tests)
 * and, the other way round, a turn's tests on the code it started from (tests-alone.ts), and
 * whether a turn changed only such tests (turn-diff.ts). SECURITY.md, "Green only with the tests
 * the run started with does not count". Pure.
 */
import { examplesOf, mayHoldDoctests, withStartDoctests } from './python-doctests.ts';
import { withStartTests } from './rust-unit-tests.ts';
import { diffGitNames, renameLineName } from '../git/diff-header.ts';
import { isTestPath } from './test-paths.ts';
import { isVitestSourcePath, withStartInSourceTests } from './vitest-in-source.ts';

/** A document whose `>>>` examples a `--doctest-glob` can collect (pytest's default, test*.txt, is a test path already). */
const isDoctestDocument = (p: string) => /\.(md|markdown|rst|txt)$/i.test(p);

/** What inSourceCandidatesReader names a file by when git's header could not be read. */
export const UNREADABLE_NAME = '\0unreadable';

/**
 * The files of a turn's `git diff -U0` (read anyway for its test markers) that may have changed
 * tests inside them, so that a turn touching none starts no git process for them: a code file that
 * can hold them (mayHoldInSourceTests), and a document only when a line the turn added or removed
 * holds a `>>>` prompt. A document's expected output edited without its prompt line is seen at
 * convergence only (baseline-tests.ts), which holds the run: the per-turn rule is the early word,
 * not the last (SECURITY.md, "Green only with the tests the run started with does not count").
 */
export function inSourceCandidatesReader(): { line(raw: string): void; candidates(): string[] } {
  const found = new Set<string>();
  /** The names the current file's header gave (both sides, rename lines too). */
  let names: string[] = [];
  let inHeader = false;
  const named = (name: string | undefined) => {
    // A name git quoted past reading: taken as a candidate, which reads it (fail closed).
    const n = name ?? UNREADABLE_NAME;
    names.push(n);
    if (n === UNREADABLE_NAME || (mayHoldInSourceTests(n) && !isDoctestDocument(n))) found.add(n);
  };
  return {
    line(raw: string) {
      if (raw.startsWith('diff --git ')) {
        inHeader = true;
        names = [];
        const n = diffGitNames(raw);
        named(n?.from);
        named(n?.to);
      } else if (raw.startsWith('@@')) inHeader = false;
      else if (inHeader) {
        if (raw.startsWith('rename from ')) named(renameLineName(raw, 'rename from '));
        else if (raw.startsWith('rename to ')) named(renameLineName(raw, 'rename to '));
      } else if ((raw[0] === '+' || raw[0] === '-') && raw.includes('>>>')) {
        for (const n of names) if (isDoctestDocument(n) && mayHoldInSourceTests(n)) found.add(n);
      }
    },
    candidates: () => [...found],
  };
}

/** Whether a file of this path can hold tests inside it (and is not a test path, which is a test whole). */
export function mayHoldInSourceTests(path: string): boolean {
  if (isTestPath(path)) return false;
  return path.endsWith('.rs') || /\.pyw?$/.test(path) || isDoctestDocument(path) || isVitestSourcePath(path);
}

/**
 * HEAD's text of `path` with the tests inside it as in `start` (undefined: a file `start` lacks,
 * which had none). The same text back when its tests are as in `start`. Throws when it cannot
 * tell: the caller holds (fail closed).
 */
export function withStartTestsOf(path: string, head: string, start: string | undefined): string {
  if (isTestPath(path)) return head;
  if (path.endsWith('.rs')) return withStartTests(head, start);
  if (/\.pyw?$/.test(path)) return withStartDoctests(head, start);
  if (isDoctestDocument(path)) {
    if (!mayHoldDoctests(head) && (start === undefined || !mayHoldDoctests(start))) return head;
    if (examplesOf(head).join('\n') === examplesOf(start ?? '').join('\n')) return head;
    return start ?? head.split('\n').filter((l) => !/^\s*(>>>|\.\.\.)/.test(l)).join('\n');
  }
  if (isVitestSourcePath(path)) return withStartInSourceTests(head, start);
  return head;
}

/** Text compared for "the same code": whitespace runs collapsed (a test item's removal leaves blank lines). */
const squeezed = (t: string) => t.replace(/\s+/g, ' ').trim();

/**
 * How a change of `path` from `before` to `after` touches the tests inside it: `tests` when they
 * differ, `product` when the rest does (a file added or deleted changes its product). Throws when
 * it cannot tell.
 */
export function inSourceChange(path: string, before: string | undefined, after: string | undefined): { tests: boolean; product: boolean } {
  if (after === undefined || before === undefined) {
    const text = after ?? before ?? '';
    return { tests: squeezed(withStartTestsOf(path, text, undefined)) !== squeezed(text), product: true };
  }
  const merged = withStartTestsOf(path, after, before);
  const tests = squeezed(merged) !== squeezed(after);
  // The same product: HEAD with the start's tests is the start (a docstring put back in place), or
  // both without their tests are the same (a Rust test item put back at its scope's end).
  const product = squeezed(merged) !== squeezed(before) && squeezed(withStartTestsOf(path, after, undefined)) !== squeezed(withStartTestsOf(path, before, undefined));
  return { tests, product };
}
