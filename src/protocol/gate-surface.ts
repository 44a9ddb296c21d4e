/**
 * The gate's surface: every file that decides what a hard gate runs or how its result reads, rather
 * than what the product does. A peer that cannot make a gate pass honestly is tempted to change
 * these instead of the code: edit or delete the test, rename it out of the runner's reach, change
 * the `test` script, add runner configuration that deselects or rewrites results (`conftest.py`,
 * `pytest.ini` addopts, jest/vitest config), or commit a shim where the runner looks for tools
 * (`node_modules/.bin`). Changes here are flagged, shown to the reviewers and need another peer's
 * explicit approval before the run can converge (see approvals.ts). Pure over paths and
 * `git diff --name-status` output; the git adapter is gateSurfaceOfCommit.
 */
import { isCompiledPython, isPackageMetadata, shadowedModuleOf } from './python-shadowing.ts';
import { isTestPath, movesTestOutOfReach } from './test-paths.ts';

export type GateSurfaceKind = 'test' | 'test-data' | 'runner-config' | 'package-manager' | 'vendored-tool' | 'toolchain' | 'git-attributes';

type Rule = { kind: GateSurfaceKind; what: string; re: RegExp };

const base = (names: string) => new RegExp(`(^|/)(${names})$`, 'i');

/** Per language (JS/TS, Python, Go, Rust) and shared; the first matching rule names the kind. */
const RULES: Rule[] = [
  // Vendored tools: the runner executes what is here before anything on the system.
  { kind: 'vendored-tool', what: 'vendored dependency or tool shim', re: /(^|\/)(node_modules|bower_components|jspm_packages|\.yarn|\.pnp\.c?js|vendor|third_party|site-packages|\.venv|venv|\.tox|\.nox|__pypackages__|\.peers-pm)(\/|$)/ },
  { kind: 'vendored-tool', what: 'tool shim directory', re: /(^|\/)\.bin\// },
  { kind: 'vendored-tool', what: 'python startup hook', re: /(^|\/)(sitecustomize|usercustomize)\.py$|\.pth$/ },
  // JS/TS runners.
  { kind: 'runner-config', what: 'JS/TS test runner configuration', re: base('(jest|vitest|vite|vitest\\.workspace|vitest\\.shims|ava|playwright|cypress|karma\\.conf|wdio\\.conf|nyc|c8|babel|\\.babelrc|jest\\.setup|setupTests|test-setup)(\\.[\\w-]+)*\\.(c|m)?[jt]sx?|(jest|vitest|vite|ava|playwright|cypress|nyc|c8|babel)(\\.[\\w-]+)*\\.(json5?|jsonc|ya?ml|toml)|\\.mocharc(\\.[\\w]+)?|\\.c8rc(\\.json)?|\\.nycrc(\\.[\\w]+)?|\\.babelrc|tsconfig(\\.[\\w.-]+)?\\.json|jsconfig\\.json|deno\\.jsonc?|bunfig\\.toml') },
  // Python runners.
  { kind: 'runner-config', what: 'Python test runner configuration', re: base('conftest\\.py|pytest\\.ini|\\.pytest\\.ini|pytest\\.toml|\\.pytest\\.toml|tox\\.ini|noxfile\\.py|setup\\.cfg|pyproject\\.toml|\\.coveragerc|setup\\.py|manage\\.py') },
  // Go and Rust build/test configuration.
  { kind: 'runner-config', what: 'Go/Rust build configuration', re: base('go\\.mod|go\\.work|Cargo\\.toml|build\\.rs|\\.cargo/config(\\.toml)?|clippy\\.toml|\\.config/nextest\\.toml') },
  // Shared task runners and test scripts.
  { kind: 'runner-config', what: 'task runner or test script', re: base('(GNU)?[Mm]akefile|justfile|Taskfile\\.ya?ml|Rakefile|(run[-_])?tests?\\.(sh|bash|py|js|mjs|ts)|check\\.sh|ci\\.sh') },
  // Package managers: scripts, resolution, registries, lock files.
  { kind: 'package-manager', what: 'package manager scripts or config', re: base('package\\.json|package-lock\\.json|npm-shrinkwrap\\.json|yarn\\.lock|pnpm-lock\\.yaml|pnpm-workspace\\.yaml|bun\\.lockb?|\\.npmrc|\\.yarnrc(\\.yml)?|\\.pnpmfile\\.cjs|[\\w.-]*requirements[\\w.-]*\\.(txt|in)|[\\w.-]*constraints[\\w.-]*\\.(txt|in)|Pipfile(\\.lock)?|poetry\\.lock|uv\\.lock|poetry\\.toml|uv\\.toml|pdm\\.lock|\\.python-version|go\\.sum|Cargo\\.lock') },
  // What a requirements file pulls in with `-r`/`-c` (requirements/test.txt) and the packages a
  // dependency install takes from the repository (a local wheel whose pytest11 entry point loads a
  // plugin, an npm `file:` tarball): installed by setup, loaded by the runner with no config at all.
  { kind: 'package-manager', what: 'requirements file', re: /(^|\/)requirements\/[^/]*\.(txt|in)$/i },
  { kind: 'vendored-tool', what: 'package archive a dependency install can take', re: /\.(whl|egg|tgz|tar\.gz|tar\.bz2|tar\.xz|zip)$/i },
  { kind: 'toolchain', what: 'toolchain selection', re: base('\\.nvmrc|\\.node-version|\\.tool-versions|rust-toolchain(\\.toml)?|\\.envrc|mise\\.toml|\\.mise\\.toml') },
  { kind: 'git-attributes', what: 'git attributes (filters, diff drivers)', re: base('\\.gitattributes|\\.gitmodules') },
  // Data the tests compare against.
  { kind: 'test-data', what: 'test fixtures or snapshots', re: /(^|\/)(testdata|__snapshots__|fixtures?|golden)(\/|$)|\.snap$|\.golden$/ },
];

export type GateSurfaceMatch = { kind: GateSurfaceKind; what: string };

/** What part of the gate's surface a repository path is, or undefined when it is none. */
export function gateSurfaceOf(path: string): GateSurfaceMatch | undefined {
  const p = path.replace(/^\.\//, '');
  if (p === '.peers' || p.startsWith('.peers/')) return undefined; // the operator's, enforced apart
  if (/(^|\/)conftest\.py$/.test(p)) return { kind: 'runner-config', what: 'pytest plugin and hook file' };
  if (isTestPath(p)) return { kind: 'test', what: 'test file' };
  for (const r of RULES) if (r.re.test(p)) return { kind: r.kind, what: r.what };
  // Python code the test run imports in place of the runner, the standard library or the source.
  if (isCompiledPython(p)) return { kind: 'vendored-tool', what: 'compiled code, imported instead of its source' };
  if (isPackageMetadata(p)) return { kind: 'vendored-tool', what: 'installed-package metadata, its entry points load as plugins' };
  const shadowed = shadowedModuleOf(p);
  if (shadowed) return { kind: 'vendored-tool', what: `module named ${shadowed}, imported instead of the runner's or the standard library's` };
  return undefined;
}

export type SurfaceChange = {
  path: string;
  /** For a rename or copy: where the file came from. */
  from?: string;
  change: 'added' | 'modified' | 'deleted' | 'renamed' | 'type-changed';
  kind: GateSurfaceKind;
  what: string;
  /** A test renamed or moved to where the runner does not look: as good as deleted. */
  movedOutOfReach: boolean;
};

const CHANGE: Record<string, SurfaceChange['change']> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'added', T: 'type-changed' };

/** Gate-surface entries of `git diff --name-status -M -z` output. */
export function surfaceChangesOf(nameStatusZ: string): SurfaceChange[] {
  const parts = nameStatusZ.split('\0');
  const out: SurfaceChange[] = [];
  for (let i = 0; i < parts.length; i++) {
    const status = parts[i]!;
    if (!status) continue;
    const letter = status[0]!;
    if (letter === 'R' || letter === 'C') {
      const from = parts[++i] ?? '';
      const to = parts[++i] ?? '';
      const src = gateSurfaceOf(from);
      const dst = gateSurfaceOf(to);
      const outOfReach = letter === 'R' && movesTestOutOfReach(from, to);
      if (outOfReach) out.push({ path: from, from, change: 'deleted', kind: 'test', what: `test file moved out of the runner's reach (to ${to})`, movedOutOfReach: true });
      else if (src || dst) {
        const m = (dst ?? src)!;
        out.push({ path: to, from, change: CHANGE[letter]!, kind: m.kind, what: m.what, movedOutOfReach: false });
      }
      continue;
    }
    const path = parts[++i] ?? '';
    const m = gateSurfaceOf(path);
    if (m) out.push({ path, change: CHANGE[letter] ?? 'modified', kind: m.kind, what: m.what, movedOutOfReach: false });
  }
  return out;
}

export function formatSurfaceChange(c: SurfaceChange): string {
  return c.movedOutOfReach ? `${c.path} ${c.what}` : `${c.path} ${c.change} (${c.what})`;
}

/** Whether a surface change only adds to or edits the tests (a deletion or a move out of reach does not). */
const isTestGrowth = (c: SurfaceChange) => c.kind === 'test' && !c.movedOutOfReach && c.change !== 'deleted';

/**
 * One commit's surface changes as the approval request lists them: every change that is not a
 * test added or edited first, then those, whole entries up to `cap` characters, and whatever does
 * not fit counted by change and kind. A list cut at a fixed length hid what came after it: ten
 * harmless test files named to sort before `package.json` pushed the test script's change out of
 * the request, and the approver approved a list of test additions (SECURITY.md, "Done means done").
 */
export function formatSurfaceList(changes: SurfaceChange[], cap = 400): string {
  const ordered = [...changes.filter((c) => !isTestGrowth(c)), ...changes.filter(isTestGrowth)];
  let out = '';
  let shown = 0;
  for (const c of ordered) {
    const next = shown ? `${out}; ${formatSurfaceChange(c)}` : formatSurfaceChange(c);
    if (shown && next.length > cap) break;
    out = next;
    shown++;
  }
  if (shown === ordered.length) return out;
  const rest = new Map<string, number>();
  for (const c of ordered.slice(shown)) rest.set(`${c.change} ${c.kind}`, (rest.get(`${c.change} ${c.kind}`) ?? 0) + 1);
  return `${out}; … and ${ordered.length - shown} more not listed here (${[...rest].map(([k, n]) => `${n} ${k}`).join(', ')})`;
}
