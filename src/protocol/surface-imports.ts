/**
 * What the gate's hook and setup code imports is the gate's surface. A name told only what a file
 * is, and what a surface file names (surface-references.ts) only what it points to: with a
 * conftest.py that does `from tools.support import *`, a hookwrapper added to tools/support.py
 * reported every failure as a pass, and tools/support.py was ordinary code that nobody had to
 * approve (SECURITY.md, "What the gate's code imports is the gate's surface"). The rule:
 * - the files whose imports are read: every conftest.py, test file and JS/TS runner configuration
 *   or setup file in the tree (jest.config.js, setupTests.ts), and every code file a surface file
 *   names (a pytest plugin, a jest `setupFiles` entry);
 * - what they import: Python `import a.b`, `from a import b`, `from .m import x` (and a literal
 *   `importlib.import_module("a.b")`), resolved as packages and modules under the importer's
 *   directory and each one above it (pytest's rootdir insertion) and `src/`, every `__init__.py` on
 *   the way included; JS/TS `import`/`export … from`/`require()`/`import()` of a relative path,
 *   with the extensions and `index` files a resolver tries;
 * - an imported file is surface when it is test-support code, not the package under test: a test
 *   path, a file under a test or tooling directory (`tests/`, `tools/`, `scripts/`, `support/`,
 *   `helpers/`, `fixtures/`, `__mocks__/`, a hidden directory, `test_*`/`*_test(s)` directories), a
 *   module named as support (`helpers.py`, `testing.py`, `test_utils.py`, `setup-tests.js`), or one
 *   whose text uses a test framework (imports pytest, unittest, mock, hypothesis, node:test, jest,
 *   vitest, mocha, sinon; defines a `pytest_*` hook). A conftest's `from calc import add` reaches
 *   calc.py, the product: not surface, not followed further.
 * - surface imports are followed transitively, up to IMPORT_LIMITS; a file that cannot be read
 *   names everything (fail closed). A support-named path that does not exist yet is surface too,
 *   so adding a module that shadows an import needs the same approval.
 * Pure over paths and texts; the reader is the caller's (history-facts.ts reads blobs by tree).
 */
import { gateSurfaceOf } from './gate-surface.ts';
import type { SurfaceReference } from './surface-references.ts';
import { isTestPath } from './test-paths.ts';

/** How far and how much is read: import chains deeper than `depth` levels are not followed further. */
export const IMPORT_LIMITS = { depth: 8, files: 5000, bytes: 512 * 1024 };

const PY = /\.py$/;
const JS = /\.(c|m)?[jt]sx?$/;
const JS_EXTS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx'];

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (dir: string, rel: string) => (dir ? `${dir}/${rel}` : rel);

/** Whether the runner loads `path` as hook, setup or test code whose imports are read. */
export function importsAreRead(path: string): boolean {
  if (!PY.test(path) && !JS.test(path)) return false;
  if (isTestPath(path)) return true;
  const m = gateSurfaceOf(path);
  return m?.kind === 'runner-config' && JS.test(path);
}

const SUPPORT_DIR = /^(tests?|testing|specs?|__tests__|__mocks__|__fixtures__|mocks?|stubs?|fakes?|tools?|tooling|scripts?|support|helpers?|fixtures?|e2e|ci|test[_-][\w.-]*|[\w.-]*[_-](tests?|testing|helpers?|support|tools?|fixtures?|mocks?)|\..+)$/i;
const SUPPORT_STEM = /^(conftest|testing|tests?|helpers?|support|fixtures?|mocks?|stubs?|fakes?|test[_-][\w.-]*|[\w.-]*[_-](tests?|testing|helpers?|support|fixtures?|mocks?|stubs?|fakes?|setup)|setup[-_.]?tests?|(jest|vitest)\.[\w.-]+)$/i;

/** Whether a path is test-support or tooling by where it is or what it is called. */
export function isSupportPath(path: string): boolean {
  if (isTestPath(path)) return true;
  const parts = path.split('/');
  const file = parts.pop()!;
  if (parts.some((d) => SUPPORT_DIR.test(d))) return true;
  const stem = file.replace(/\.[^.]+$/, '');
  return stem !== '__init__' && stem !== 'index' && SUPPORT_STEM.test(stem);
}

const PY_FRAMEWORK = /^[ \t]*(?:import|from)[ \t]+(?:pytest|_pytest|unittest|mock|hypothesis|pluggy|nose2?|doctest)\b|^[ \t]*def[ \t]+pytest_\w+[ \t]*\(|@pytest\./m;
const JS_FRAMEWORK = /(?:\bfrom|\brequire\(|\bimport\(?)\s*['"](?:node:test|bun:test|vitest|jest|@jest\/[\w-]+|@vitest\/[\w-]+|mocha|chai|sinon|ava|tap|uvu|@testing-library\/[\w-]+)['"]|\b(?:jest|vi)\.(?:mock|spyOn|fn|stubGlobal)\(/;

/** Whether a file's text uses a test framework: test-support code whatever its name. */
export function usesTestFramework(path: string, text: string): boolean {
  return PY.test(path) ? PY_FRAMEWORK.test(text) : JS_FRAMEWORK.test(text);
}

/** Module specifiers of a Python file: `[level, dotted name]` (level 0: absolute). */
function pythonImports(text: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const src = text.replace(/\\\r?\n/g, ' ');
  for (const m of src.matchAll(/^[ \t]*import[ \t]+([^\n#;]+)/gm)) for (const part of m[1]!.split(',')) {
    const name = part.trim().split(/\s+/)[0]!;
    if (/^[A-Za-z_][\w.]*$/.test(name)) out.push([0, name]);
  }
  for (const m of src.matchAll(/^[ \t]*from[ \t]+(\.*)[ \t]*([A-Za-z_][\w.]*)?[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)/gm)) {
    const level = m[1]!.length;
    const mod = m[2] ?? '';
    if (mod) out.push([level, mod]);
    // `from a import b` may import the submodule a.b.
    for (const part of m[3]!.replace(/[()]/g, '').split(',')) {
      const name = part.trim().split(/\s+/)[0]!;
      if (/^[A-Za-z_]\w*$/.test(name)) out.push([level, mod ? `${mod}.${name}` : name]);
    }
  }
  for (const m of src.matchAll(/\b(?:import_module|__import__)\(\s*["']([A-Za-z_][\w.]*)["']/g)) out.push([0, m[1]!]);
  return out;
}

/** Repository paths a Python import may load from `importer`: every package `__init__.py` on the way and the module. */
function pythonCandidates(importer: string, level: number, dotted: string): string[] {
  const parts = dotted.split('.');
  let roots: string[];
  if (level > 0) {
    let dir = dirOf(importer);
    for (let i = 1; i < level; i++) {
      if (!dir) return [];
      dir = dirOf(dir);
    }
    roots = [dir];
  } else {
    roots = ['', 'src'];
    for (let dir = dirOf(importer); dir; dir = dirOf(dir)) roots.push(dir);
  }
  const out: string[] = [];
  for (const root of new Set(roots)) {
    for (let i = 1; i < parts.length; i++) out.push(join(root, `${parts.slice(0, i).join('/')}/__init__.py`));
    const base = join(root, parts.join('/'));
    out.push(`${base}.py`, `${base}/__init__.py`);
  }
  return out;
}

/** Relative module specifiers of a JS/TS file. */
function jsImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\b(?:jest|vi)\.mock\(\s*)['"`](\.\.?\/[^'"`\n]*)['"`]/g)) out.push(m[1]!);
  return out;
}

function jsCandidates(importer: string, spec: string): string[] {
  const parts = dirOf(importer) ? dirOf(importer).split('/') : [];
  for (const seg of spec.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!parts.length) return [];
      parts.pop();
    } else parts.push(seg);
  }
  const base = parts.join('/');
  if (!base) return [];
  const stem = base.replace(/\.(c|m)?js$/, '');
  return [base, ...JS_EXTS.map((e) => `${stem}${e}`), ...JS_EXTS.map((e) => `${base}/index${e}`)];
}

/** The repository paths `path`'s imports may load (existing or not). */
export function importCandidates(path: string, text: string): string[] {
  const body = text.slice(0, IMPORT_LIMITS.bytes);
  if (PY.test(path)) return pythonImports(body).flatMap(([level, name]) => pythonCandidates(path, level, name));
  if (JS.test(path)) return jsImports(body).flatMap((s) => jsCandidates(path, s));
  return [];
}

/** Reads the texts of tree paths; a path it cannot read is missing from the answer. */
export type TextReader = (paths: string[]) => Map<string, string>;

export type ImportWalk = {
  refs: SurfaceReference[];
  /** The files whose imports were read: a commit changing one of them changes what is surface. */
  followed: Set<string>;
};

/**
 * The surface files reached by imports from `sources` (paths in `tree` whose imports are read),
 * one read per level of the import graph.
 */
export function importedSurface(tree: ReadonlySet<string>, sources: readonly string[], read: TextReader): ImportWalk {
  const refs: SurfaceReference[] = [];
  const followed = new Set<string>();
  const seen = new Set<string>(sources);
  const known = new Set<string>();
  /** Files to read: whether they are surface already (a source, or support by path) and who imports them. */
  let frontier: Array<{ path: string; by?: string }> = sources.filter((s) => tree.has(s)).map((path) => ({ path }));
  for (let depth = 0; frontier.length && depth <= IMPORT_LIMITS.depth; depth++) {
    const texts = read(frontier.map((f) => f.path));
    const next: Array<{ path: string; by: string }> = [];
    for (const f of frontier) {
      const text = texts.get(f.path);
      if (text === undefined) {
        refs.push({ path: '', by: `${f.path} (could not be read)` });
        continue;
      }
      if (f.by !== undefined) {
        if (!isSupportPath(f.path) && !usesTestFramework(f.path, text)) continue; // the product
        refs.push({ path: f.path, by: f.by, imported: true });
      }
      followed.add(f.path);
      for (const c of importCandidates(f.path, text)) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (tree.has(c)) {
          if (seen.size > IMPORT_LIMITS.files) continue;
          next.push({ path: c, by: f.path });
        } else if (isSupportPath(c) && !known.has(c)) {
          known.add(c);
          refs.push({ path: c, by: f.path, imported: true });
        }
      }
    }
    frontier = next;
  }
  return { refs, followed };
}
