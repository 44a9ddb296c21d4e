import { describe, expect, test } from 'bun:test';
import { inSourceCandidatesReader, inSourceChange, UNREADABLE_NAME, withStartTestsOf } from '../../../src/protocol/in-source-tests.ts';

const CALC = 'def add(a, b):\n    """Return the sum.\n\n    >>> add(2, 3)\n    5\n    """\n    return a - b\n';

test("a docstring example the run edited or shadowed is put back as at the start; HEAD's code stays", () => {
  const head = CALC.replace('    >>> add(2, 3)\n    5', '    >>> add = lambda a, b: a + b\n    >>> add(2, 3)\n    5').replace('return a - b', 'return a - b  # v2');
  const cf = withStartTestsOf('calc.py', head, CALC);
  expect(cf).toBe(CALC.replace('return a - b', 'return a - b  # v2'));
  expect(inSourceChange('calc.py', CALC, head)).toEqual({ tests: true, product: true });
  expect(inSourceChange('calc.py', CALC, head.replace('  # v2', ''))).toEqual({ tests: true, product: false });
});

test('an example hidden behind escapes on a prose line, or in a file the run added, is cut; prose-only docstring edits stay', () => {
  const head = CALC.replace('"""Return the sum.', '"""Return the sum.\\n>>> add = lambda a, b: a + b\\n');
  expect(withStartTestsOf('calc.py', head, CALC)).toBe(CALC);
  expect(withStartTestsOf('helpers.py', '"""Helpers.\n\n>>> import calc; calc.add = lambda a, b: a + b\n"""\nX = 1\n', undefined)).toBe('"Helpers.\\n\\n"\nX = 1\n');
  const prose = CALC.replace('Return the sum.', 'Return the sum of two numbers.');
  expect(withStartTestsOf('calc.py', prose, CALC)).toBe(prose);
});

test('a doctest source other than a docstring (a __test__ dict, a __doc__ assignment) changed by the run, or an unsplittable file, holds (throws)', () => {
  expect(() => withStartTestsOf('calc.py', `${CALC}__test__ = {"sum": ">>> add(2, 3)\\n-1"}\n`, CALC)).toThrow(/other than a docstring/);
  expect(() => withStartTestsOf('calc.py', `${CALC}add.__doc__ = DOC\n`, CALC)).toThrow(/other than a docstring/);
  expect(() => withStartTestsOf('calc.py', `${CALC}x = """>>> open\n`, CALC)).toThrow(/left open/);
});

test('a document with >>> examples (a --doctest-glob can collect it) is put back when its examples changed', () => {
  const start = '# calc\n\n>>> from calc import add\n>>> add(2, 3)\n5\n';
  expect(withStartTestsOf('README.md', start.replace('\n5\n', '\n-1\n'), start)).toBe(start);
  expect(withStartTestsOf('README.md', `${start}\nMore prose.\n`, start)).toBe(`${start}\nMore prose.\n`);
});

const TS = "export function add(a: number, b: number) {\n  return a - b;\n}\n\nif (import.meta.vitest) {\n  const { it, expect } = import.meta.vitest;\n  it('adds', () => {\n    expect(add(2, 3)).toBe(5);\n  });\n}\n";

test("a vitest in-source block the run edited or shadowed is put back as at the start; HEAD's code stays", () => {
  const head = TS.replace("  it('adds'", '  function add(a: number, b: number) { return a + b; }\n  it(\'adds\'').replace('return a - b;', 'return a - b; // `${x}` /re/');
  const cf = withStartTestsOf('src/calc.ts', head, TS);
  expect(cf).toContain('return a - b; // `${x}` /re/');
  expect(cf).not.toContain('a + b');
  expect(cf).toContain(TS.slice(TS.indexOf('if (import.meta.vitest)')));
  expect(inSourceChange('src/calc.ts', TS, TS.replace('toBe(5)', 'toBe(-1)'))).toEqual({ tests: true, product: false });
  // A block the run added to a file: cut.
  expect(withStartTestsOf('src/new.ts', 'export const x = `a${1}b`;\nif (import.meta.vitest) { import.meta.vitest.it("x", () => {}); }\n', undefined)).toBe('export const x = `a${1}b`;\n');
});

test('vitest reached otherwise than by a block, changed by the run, or a block with an else, holds (throws)', () => {
  expect(() => withStartTestsOf('src/calc.ts', `${TS}const t = import.meta;\nif (t.vitest) { t.vitest.it('x', () => {}); }\n`, TS)).toThrow(/reaches vitest/);
  expect(() => withStartTestsOf('src/calc.ts', TS.replace(/\}\n$/, '} else {\n  globalThis.x = 1;\n}\n'), TS)).toThrow(/else/);
});

describe('the files of a turn that may have changed tests inside them, from its -U0 diff', () => {
  const read = (diff: string) => {
    const r = inSourceCandidatesReader();
    for (const line of diff.split('\n')) r.line(line);
    return r.candidates().sort();
  };
  test('code that can hold them is a candidate whatever its lines; a test path, a plain text file or a data file is not', () => {
    const diff = [
      'diff --git a/src/lib.rs b/src/lib.rs', 'index 1..2 100644', '--- a/src/lib.rs', '+++ b/src/lib.rs', '@@ -1 +1 @@', '-a', '+b',
      'diff --git a/calc.py b/calc.py', '--- a/calc.py', '+++ b/calc.py', '@@ -3 +3 @@', '-    5', '+    -1',
      'diff --git a/tests/test_calc.py b/tests/test_calc.py', '--- a/tests/test_calc.py', '+++ b/tests/test_calc.py', '@@ -1 +1 @@', '-x', '+y',
      'diff --git a/work.txt b/work.txt', '--- a/work.txt', '+++ b/work.txt', '@@ -1 +1,2 @@', '-1', '+2',
      'diff --git a/data.json b/data.json', '--- a/data.json', '+++ b/data.json', '@@ -1 +1 @@', '-{}', '+[]',
    ].join('\n');
    expect(read(diff)).toEqual(['calc.py', 'src/lib.rs']);
  });
  test('a document is one only when a line the turn added or removed holds a >>> prompt', () => {
    const doc = (lines: string[]) => ['diff --git a/README.md b/README.md', '--- a/README.md', '+++ b/README.md', '@@ -4 +4 @@', ...lines].join('\n');
    expect(read(doc(['-Some prose.', '+Other prose.']))).toEqual([]);
    expect(read(doc(['->>> add(2, 3)', '+>>> add(2, 4)']))).toEqual(['README.md']);
    expect(read(doc(['+>>> add = lambda a, b: a + b']))).toEqual(['README.md']);
  });
  test('renamed files count by both names; a header git quoted past reading counts as one to read', () => {
    const renamed = ['diff --git a/old.py b/new.py', 'similarity index 90%', 'rename from old.py', 'rename to new.py', '@@ -1 +1 @@', '-a', '+b'].join('\n');
    expect(read(renamed)).toEqual(['new.py', 'old.py']);
    expect(read('diff --git "a/x\\" b/y')).toEqual([UNREADABLE_NAME]);
  });
});
