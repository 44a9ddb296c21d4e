/**
 * What a gate-surface file names: the files it makes the gate run or load under names of their
 * own. A name alone told the gate's surface (gate-surface.ts) only what a file IS, so a file that
 * runner configuration merely points to was ordinary code: with `addopts = -p tools.checks` in
 * pytest.ini, a hookwrapper added to tools/checks.py reported every failure as a pass, nobody had
 * to approve anything, and the run ended `complete` (SECURITY.md, "Done means done", "What a
 * gate-surface file names is the gate's surface"). The rule is by class: every local path or module
 * a runner configuration, package manifest, requirements file, task runner or test script names is
 * surface too, whatever the file is called:
 * - a file named by a relative path anywhere in it (`./tools/reporter.mjs`, `<rootDir>/setup.js`;
 *   a directory named so, jest's `roots: ['<rootDir>/src']`, is where the code under test lives);
 * - in a package.json, a `file:`, `link:` or `portal:` dependency and the files its test, check,
 *   lint, install and prepare scripts name (not `main` or `start`: the product's);
 * - a requirements include or local install (`-r deps/test.list`, `-c`, `-e tools/plug`);
 * - a pytest plugin module (`-p name` in the addopts of a Python runner config, `pytest_plugins`
 *   in a conftest.py), as `name.py` and `name/`.
 * Not a tsconfig's files: they are the program's source, compiled, not loaded beside it.
 * Paths are repository-relative, resolved against the naming file's directory; a path that climbs
 * out of the repository is dropped. Pure over file text; the git side is history-facts.ts.
 */
import { programWords } from './command-programs.ts';
import { gateSurfaceOf, type SurfaceChange } from './gate-surface.ts';

export type SurfaceReference = {
  /** Repository-relative path: a file, or a directory whose every file is named. */
  path: string;
  /** The surface file that names it. */
  by: string;
  /** Named by an import in the surface file's code (surface-imports.ts), not by its configuration. */
  imported?: boolean;
};

/** Whether a file's text is read for the paths it names: runner config, manifests, task runners, test scripts. */
export function namesSurface(path: string): boolean {
  const m = gateSurfaceOf(path);
  // What a tsconfig names is the program's own source, compiled, not loaded by the runner beside it.
  if (!m || /(^|\/)(tsconfig[\w.-]*|jsconfig|deno)\.jsonc?$/i.test(path)) return false;
  if (m.kind === 'runner-config' || m.kind === 'package-manager') return !/\.lock$|lock\.(json|ya?ml)$|\.lockb$|shrinkwrap\.json$|go\.sum$/i.test(path);
  return false;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** `rel` resolved against `dir`, repository-relative; undefined when it leaves the repository or is absolute. */
export function resolveRelative(dir: string, rel: string): string | undefined {
  if (rel.startsWith('/') || /^[a-z][\w+.-]*:\/\//i.test(rel)) return undefined;
  const parts = dir ? dir.split('/') : [];
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!parts.length) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  const out = parts.join('/').replace(/[*?[{].*$/, '').replace(/\/$/, '');
  return out === '' ? undefined : out;
}

/**
 * Files named by a relative path anywhere in the text: `./x.js`, `../x.py`, `<rootDir>/x.ts`. A
 * directory named this way (jest's `roots: ['<rootDir>/src']`) is where the code under test lives,
 * not something loaded beside it: only names with an extension count.
 */
function relativeFiles(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s"'`=:,(\[{])((?:\.\.?\/|<rootDir>\/)[\w@+%~.,/-]*)/gm)) {
    const p = m[1]!.replace(/^<rootDir>\//, './').replace(/[.,]+$/, '');
    if (/\.[\w-]+$/.test(p.slice(p.lastIndexOf('/') + 1))) out.push(p);
  }
  return out;
}

/** Module names pytest loads as plugins: `-p name` (not `no:name`) and `pytest_plugins`. */
function pytestPluginModules(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s"'=[,])-p\s*([A-Za-z_][\w.]*)(?![\w.:])/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bpytest_plugins\s*=\s*([^\n]*(?:\n[ \t]+[^\n]*)*)/g)) for (const q of m[1]!.matchAll(/["']([A-Za-z_][\w.]*)["']/g)) out.push(q[1]!);
  return out;
}

/** Paths a requirements-style file includes or installs from: `-r`, `-c`, `-e` and their long forms. */
function requirementIncludes(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:-[rce]\s*|--(?:requirement|constraint|editable)[=\s]\s*)(\S+)/gm)) out.push(m[1]!.replace(/^file:(\/\/)?/, ''));
  for (const m of text.matchAll(/@\s*file:(?:\/\/)?(\S+)/g)) out.push(m[1]!);
  return out;
}

/** Paths of a package.json: local dependency specs, scripts and workspaces. */
function packageJsonPaths(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"(?:file|link|portal):([^"]+)"/g)) out.push(m[1]!);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return out;
  }
  const o = json as { scripts?: Record<string, unknown> };
  // The scripts a gate or the dependency install runs (not `start` or `build`, whose files are the product).
  for (const [k, v] of Object.entries(o.scripts ?? {})) {
    if (typeof v !== 'string' || !/test|check|lint|verify|ci\b|install|prepare/i.test(k)) continue;
    // Script words that name a file: a path whose last part has an extension, or a bare script name.
    // A directory (`eslint src/`, `vitest run src/lib`) is the code under test or lint, as in
    // relativeFiles: counting it would make every change to the product need an approval.
    for (const w of v.split(/[\s;&|()<>=]+/)) if (/^[\w@.][\w@.+~-]*\/[\w@.+~/-]*\.[\w-]+$|^[\w@.-]+\.(c|m)?[jt]sx?$|^[\w.-]+\.(sh|py)$/.test(w) && !w.startsWith('node_modules/')) out.push(w);
  }
  return out;
}

/** The files and directories `path` (a gate-surface file, text `text`) names, repository-relative. */
export function referencedPaths(path: string, text: string): SurfaceReference[] {
  if (!namesSurface(path)) return [];
  const dir = dirOf(path);
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const raw: string[] = [];
  // A manifest's relative paths are mostly the product's (`main`, `exports`): only its scripts and local dependencies.
  if (name === 'package.json') raw.push(...packageJsonPaths(text));
  else raw.push(...relativeFiles(text));
  if (/\.(txt|in)$/.test(name)) raw.push(...requirementIncludes(text));
  const pythonConfig = /^(\.?pytest\.(ini|toml)|tox\.ini|setup\.cfg|pyproject\.toml|conftest\.py)$/.test(name);
  const fromRoot: string[] = [];
  for (const mod of pythonConfig ? pytestPluginModules(text) : []) {
    // Found on sys.path: beside the config (its rootdir) or at the top (`python -m pytest`), or in src/.
    const base = mod.replace(/\./g, '/');
    raw.push(`${base}.py`, base);
    fromRoot.push(`${base}.py`, base, `src/${base}.py`, `src/${base}`);
  }
  const seen = new Set<string>();
  const out: SurfaceReference[] = [];
  for (const [at, r] of [...raw.map((x) => [dir, x] as const), ...fromRoot.map((x) => ['', x] as const)]) {
    const p = resolveRelative(at, r.trim());
    if (!p || p === path || seen.has(p) || p === '.peers' || p.startsWith('.peers/')) continue;
    seen.add(p);
    out.push({ path: p, by: path });
  }
  return out;
}

/** A bare file name a command runs as a program or script (no directory): by its extension. */
const SCRIPT_EXT = /\.(sh|bash|zsh|py|[cm]?[jt]sx?|mts|cts|rb|pl|php|lua|r|jl|tcl|awk|sed)$/i;

/**
 * The files a goal's command (or the `setup` command) names: the program a gate runs is the gate
 * itself. A user's `cmd: node scripts/acceptance.mjs` ran a file no runner names and no name marks:
 * the implementer rewrote it to print "acceptance ok" without calling add(), nobody had to approve
 * it, and the run ended `complete` (SECURITY.md, "What a goal's command names is the gate's
 * surface"). Only a word the command runs as a program counts (command-programs.ts): what it
 * hands to another program (`test -f notes/a.md`, `node -e "import('./index.js')"`) is the product
 * the gate inspects. Such a word names a file when it is a relative path with a directory whose last
 * part has an extension (`scripts/acceptance.mjs`, `./ci/check`: with a directory, any extension), or
 * a bare script name (`verify.py`, `check.sh`); a directory (`test/`, `src/`) is the code under
 * test, not the gate's program. `by` says which goal.
 */
export function commandPaths(by: string, cmd: string): SurfaceReference[] {
  const out: SurfaceReference[] = [];
  const seen = new Set<string>();
  for (const w of programWords(cmd)) {
    if (!w || w.startsWith('-') || w.startsWith('node_modules/') || /^[a-z][\w+.-]*:/i.test(w)) continue;
    const last = w.slice(w.lastIndexOf('/') + 1);
    const withDir = w.includes('/') && /^[\w@.+~/-]+$/.test(w) && !w.endsWith('/') && !/^\.+$/.test(last) && (/\.[\w-]+$/.test(last) || /^\.\.?\//.test(w));
    const bare = !w.includes('/') && /^[\w@+~-][\w@.+~-]*$/.test(w) && SCRIPT_EXT.test(w);
    if (!withDir && !bare) continue;
    const p = resolveRelative('', w);
    if (!p || seen.has(p) || p === '.peers' || p.startsWith('.peers/')) continue;
    seen.add(p);
    out.push({ path: p, by });
  }
  return out;
}

/** commandPaths of every hard goal's command (`goal <id>`) and of the `setup` command. */
export function goalCommandReferences(goals: ReadonlyArray<{ id: string; cmd: string }>, setup: string | undefined): SurfaceReference[] {
  return [...goals.flatMap((g) => commandPaths(`goal ${g.id}`, g.cmd)), ...(setup ? commandPaths('setup', setup) : [])];
}

/** The reference that names `path` (the path itself or a directory above it), if any. */
export function referenceFor(path: string, refs: readonly SurfaceReference[]): SurfaceReference | undefined {
  return refs.find((r) => r.path === '' || path === r.path || path.startsWith(`${r.path}/`));
}

const CHANGE: Record<string, SurfaceChange['change']> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'added', T: 'type-changed' };

/**
 * The changes of `git diff --name-status -M -z` output to files `refs` name, for the paths not
 * already on the surface by their own name (`already`).
 */
export function referencedChangesOf(nameStatusZ: string, refs: readonly SurfaceReference[], already: readonly SurfaceChange[]): SurfaceChange[] {
  if (!refs.length) return [];
  const parts = nameStatusZ.split('\0');
  const known = new Set(already.flatMap((c) => [c.path, c.from ?? c.path]));
  const out: SurfaceChange[] = [];
  for (let i = 0; i < parts.length; i++) {
    const status = parts[i]!;
    if (!status) continue;
    const letter = status[0]!;
    const from = letter === 'R' || letter === 'C' ? (parts[++i] ?? '') : undefined;
    const path = parts[++i] ?? '';
    if (known.has(path) || (from !== undefined && known.has(from))) continue;
    const ref = referenceFor(path, refs) ?? (from !== undefined ? referenceFor(from, refs) : undefined);
    if (!ref) continue;
    known.add(path);
    out.push({ path, ...(from !== undefined ? { from } : {}), change: CHANGE[letter] ?? 'modified', kind: 'runner-config', what: `${ref.imported ? 'imported' : 'named'} by ${ref.by}`, movedOutOfReach: false });
  }
  return out;
}
