/**
 * The dependencies a project declares, per manifest: package.json, requirements*.txt,
 * pyproject.toml (PEP 621, dependency groups, Poetry, build requires), Cargo.toml and go.mod.
 * `deps-justified` compares these sets between the run's start and HEAD. Names come back
 * normalised (lower case; Python names per PEP 503) so `Dependency-Justification:` matches them
 * however they are spelt. Pure, no TOML library: a line scanner that knows tables, keys and
 * (multi-line) arrays of strings is enough for dependency declarations.
 */
import { posix } from 'node:path';

export type ManifestKind = 'npm' | 'python' | 'cargo' | 'go';

export function manifestKind(path: string): ManifestKind | undefined {
  const name = posix.basename(path);
  if (path.split('/').some((p) => p === 'node_modules' || p === 'vendor' || p === 'target')) return undefined;
  if (name === 'package.json') return 'npm';
  if (name === 'pyproject.toml' || /^requirements.*\.(txt|in)$/.test(name) || /(^|\/)requirements\/[^/]+\.(txt|in)$/.test(path)) return 'python';
  if (name === 'Cargo.toml') return 'cargo';
  if (name === 'go.mod') return 'go';
  return undefined;
}

export function normalizeDepName(name: string, kind?: ManifestKind): string {
  const n = name.trim().toLowerCase();
  return kind === 'python' ? n.replace(/[-_.]+/g, '-') : n;
}

function npmDeps(text: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const key of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const v = (doc as Record<string, unknown> | null)?.[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...Object.keys(v));
  }
  return out;
}

/** A PEP 508 requirement's distribution name: `requests[socks]>=2; python_version>"3"` → requests. */
export function requirementName(spec: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec);
  return m?.[1];
}

/** Options that change how packages are resolved or built, and bring in no code of their own. */
const INERT_OPTIONS = new Set(['--pre', '--prefer-binary', '--only-binary', '--no-binary', '--require-hashes', '--hash', '--use-feature', '--no-deps']);
const OPTION_WITH_PATH = new Set(['-r', '--requirement', '-c', '--constraint']);
const EDITABLE = new Set(['-e', '--editable']);

/** A URL's or path's `#egg=` name, else its last segment (no query, no fragment). */
function sourceName(source: string): string {
  const egg = /[#&]egg=([A-Za-z0-9._-]+)/.exec(source)?.[1];
  if (egg) return egg;
  return source.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() || source;
}

/**
 * What each requirements line brings in, named so a `Dependency-Justification:` can name it: a
 * requirement's distribution; a URL, local path or editable install by its `#egg=` or last segment;
 * an included file (`-r`, `-c`) by its path; an index or any other option by its own name (another
 * index changes where every package comes from). Options and URLs were skipped, so code pulled in
 * through any of them was "no dependency added" (SECURITY.md, "Modes"); an option not known to be
 * inert counts (fail closed).
 */
function requirementsDeps(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    if (line.startsWith('-')) {
      const [option = '', ...rest] = line.split(/[\s=]+/);
      const value = rest.join(' ').trim();
      if (INERT_OPTIONS.has(option)) continue;
      if (OPTION_WITH_PATH.has(option) && value) out.push(value);
      else if (EDITABLE.has(option) && value) out.push(sourceName(value));
      else out.push(option);
      continue;
    }
    if (/^([a-z+]+:\/\/|\.{0,2}\/|~)/i.test(line)) {
      out.push(sourceName(line.split(/\s/)[0]!));
      continue;
    }
    const name = requirementName(line);
    if (name) out.push(name);
  }
  return out;
}

type TomlEntry = { table: string; key: string; value: string };

/** `key = value` pairs with their table; a value whose brackets are open continues on the next lines. */
export function tomlEntries(text: string): TomlEntry[] {
  const out: TomlEntry[] = [];
  let table = '';
  let pending: TomlEntry | undefined;
  let depth = 0;
  const bracketDepth = (s: string) => {
    let d = 0;
    let quote: string | undefined;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#') break;
      else if (c === '[' || c === '{') d++;
      else if (c === ']' || c === '}') d--;
    }
    return d;
  };
  for (const raw of text.split('\n')) {
    if (pending) {
      pending.value += `\n${raw}`;
      depth += bracketDepth(raw);
      if (depth <= 0) {
        out.push(pending);
        pending = undefined;
      }
      continue;
    }
    const line = raw.trim();
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      table = header[1]!.replace(/\s*\.\s*/g, '.').replace(/["']/g, '');
      continue;
    }
    const kv = /^("[^"]+"|'[^']+'|[A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const entry = { table, key: kv[1]!.replace(/^["']|["']$/g, ''), value: kv[2]! };
    depth = bracketDepth(entry.value);
    if (depth > 0) pending = entry;
    else out.push(entry);
  }
  if (pending) out.push(pending);
  return out;
}

/** A TOML line without its `# comment` (a `#` inside a string is kept). */
export function stripTomlComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function tomlStrings(value: string): string[] {
  const text = value.split('\n').map(stripTomlComment).join('\n');
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2] ?? '');
}

function pyprojectDeps(text: string): string[] {
  const out: string[] = [];
  for (const e of tomlEntries(text)) {
    const specs = () => tomlStrings(e.value).map(requirementName).filter((n): n is string => n !== undefined);
    if (e.table === 'project' && e.key === 'dependencies') out.push(...specs());
    else if (e.table === 'project.optional-dependencies' || e.table === 'dependency-groups') out.push(...specs());
    else if (e.table === 'build-system' && e.key === 'requires') out.push(...specs());
    else if (/^tool\.poetry(\.group\.[^.]+)?\.(dev-)?dependencies$/.test(e.table) && e.key !== 'python') out.push(e.key);
  }
  // Poetry's `[tool.poetry.dependencies.name]` sub-tables name a dependency by their header.
  for (const m of text.matchAll(/^\[tool\.poetry(?:\.group\.[^.\]]+)?\.(?:dev-)?dependencies\.([^\]\s]+)\]/gm)) out.push(m[1]!.replace(/["']/g, ''));
  return out;
}

const CARGO_DEP_TABLE = /^(workspace\.)?(target\..+\.)?(dependencies|dev-dependencies|build-dependencies)$/;

function cargoDeps(text: string): string[] {
  const out: string[] = [];
  for (const e of tomlEntries(text)) if (CARGO_DEP_TABLE.test(e.table)) out.push(e.key);
  for (const m of text.matchAll(/^\[\s*((?:workspace\.)?(?:target\.[^\]]+\.)?(?:dependencies|dev-dependencies|build-dependencies))\.([A-Za-z0-9_-]+)\s*\]/gm)) out.push(m[2]!);
  return out;
}

function goDeps(text: string): string[] {
  const out: string[] = [];
  let block = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^require\s*\($/.test(line)) {
      block = true;
      continue;
    }
    if (block && line === ')') {
      block = false;
      continue;
    }
    const spec = block ? line : /^require\s+(.+)$/.exec(line)?.[1];
    if (!spec || spec.startsWith('//')) continue;
    // Indirect requirements come with a direct one (the one to justify).
    if (/\/\/\s*indirect\b/.test(spec)) continue;
    const name = spec.split(/\s+/)[0];
    if (name) out.push(name);
  }
  return out;
}

export function declaredDependencies(path: string, text: string): Set<string> {
  const kind = manifestKind(path);
  if (!kind) return new Set();
  const names =
    kind === 'npm' ? npmDeps(text) : kind === 'cargo' ? cargoDeps(text) : kind === 'go' ? goDeps(text) : posix.basename(path) === 'pyproject.toml' ? pyprojectDeps(text) : requirementsDeps(text);
  return new Set(names.map((n) => normalizeDepName(n, kind)));
}

export type Justification = { sha: string; name: string; reason: string };

/** `Dependency-Justification: <name>: <why>` lines of a commit message (anywhere in it). */
export function justificationsIn(sha: string, message: string): Justification[] {
  const out: Justification[] = [];
  for (const m of message.matchAll(/^Dependency-Justification:[ \t]*([^\s:]+)[ \t]*:[ \t]*(.+?)[ \t]*$/gm)) out.push({ sha, name: m[1]!.replace(/,$/, ''), reason: m[2]! });
  return out;
}

/** Whether a justification's name matches a dependency (the ecosystem's normal form, either way). */
export function namesMatch(justified: string, dep: string): boolean {
  return normalizeDepName(justified) === dep || normalizeDepName(justified, 'python') === dep;
}
