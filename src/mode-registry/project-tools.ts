/**
 * The project's OWN lint and type-check commands, per language, read from its configuration:
 * package.json scripts and eslint/biome/tsconfig files; ruff, flake8, pylint, mypy and pyright
 * configuration; `go vet`/`go build`; `cargo clippy`/`cargo check`. `peers init` leaves a gate out
 * when the project has no such tool, and the check fails closed when the tool it ran for has gone.
 * Pure: the repository is seen through ProjectFiles.
 */
import type { ProjectFiles } from '../config/detect-project.ts';
import { isYarnBerry, packageManagerOf, scriptCommand } from '../config/package-manager.ts';
import { pythonToolOf, VENV_ON_PATH } from '../config/python-tool.ts';
import type { Lang } from './language.ts';

export type ToolKind = 'lint' | 'type';
export type ToolCommand = { cmd: string; why: string };

function packageJson(files: ProjectFiles): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(files.read('package.json') ?? '');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The command that runs a package.json script with the package manager the project uses. */
export function runScript(files: ProjectFiles, script: string): string {
  const pkg = packageJson(files) ?? {};
  const pm = packageManagerOf(pkg, files);
  return scriptCommand(pm, script, pm === 'yarn' && isYarnBerry(pkg, files));
}

function firstScript(files: ProjectFiles, names: string[]): string | undefined {
  const scripts = rec(packageJson(files)?.scripts);
  return names.find((n) => typeof scripts[n] === 'string' && (scripts[n] as string).trim() !== '');
}

function jsTool(kind: ToolKind, lang: Lang, files: ProjectFiles): ToolCommand | undefined {
  if (kind === 'lint') {
    const script = firstScript(files, ['lint']);
    if (script) return { cmd: runScript(files, script), why: `package.json scripts.${script}` };
    const eslint = ['eslint.config.js', 'eslint.config.mjs', 'eslint.config.cjs', 'eslint.config.ts', '.eslintrc', '.eslintrc.js', '.eslintrc.cjs', '.eslintrc.json', '.eslintrc.yml', '.eslintrc.yaml'].find((f) => files.exists(f));
    if (eslint) return { cmd: 'npx --no-install eslint .', why: eslint };
    const biome = ['biome.json', 'biome.jsonc'].find((f) => files.exists(f));
    if (biome) return { cmd: 'npx --no-install biome lint .', why: biome };
    return undefined;
  }
  const script = firstScript(files, ['typecheck', 'type-check', 'check-types', 'tsc']);
  if (script) return { cmd: runScript(files, script), why: `package.json scripts.${script}` };
  if (lang === 'ts' && files.exists('tsconfig.json')) return { cmd: 'npx --no-install tsc --noEmit -p .', why: 'tsconfig.json' };
  if (files.exists('jsconfig.json') && /"checkJs"\s*:\s*true/.test(files.read('jsconfig.json') ?? '')) return { cmd: 'npx --no-install tsc --noEmit -p jsconfig.json', why: 'jsconfig.json with checkJs' };
  return undefined;
}

/** A uv or Poetry project's tools come from the .venv its setup filled (python-tool.ts), first on PATH as `uv run` puts it. */
export function pyPrefix(files: ProjectFiles): string {
  return pythonToolOf(files) ? `${VENV_ON_PATH} ` : '';
}

function iniHas(files: ProjectFiles, file: string, section: RegExp): boolean {
  return section.test(files.read(file) ?? '');
}

function pythonTool(kind: ToolKind, files: ProjectFiles): ToolCommand | undefined {
  const pyproject = files.read('pyproject.toml') ?? '';
  const prefix = pyPrefix(files);
  if (kind === 'lint') {
    const ruff = /^\[tool\.ruff\b/m.test(pyproject) ? 'pyproject.toml [tool.ruff]' : ['ruff.toml', '.ruff.toml'].find((f) => files.exists(f));
    if (ruff) return { cmd: `${prefix}ruff check .`, why: ruff };
    const flake8 = files.exists('.flake8') ? '.flake8' : iniHas(files, 'setup.cfg', /^\[flake8\]/m) ? 'setup.cfg [flake8]' : iniHas(files, 'tox.ini', /^\[flake8\]/m) ? 'tox.ini [flake8]' : undefined;
    if (flake8) return { cmd: `${prefix}python3 -m flake8`, why: flake8 };
    const pylint = /^\[tool\.pylint\b/m.test(pyproject) ? 'pyproject.toml [tool.pylint]' : ['.pylintrc', 'pylintrc'].find((f) => files.exists(f));
    if (pylint) return { cmd: `${prefix}python3 -m pylint --recursive=y .`, why: pylint };
    return undefined;
  }
  const mypy = /^\[tool\.mypy\b/m.test(pyproject) ? 'pyproject.toml [tool.mypy]' : ['mypy.ini', '.mypy.ini'].find((f) => files.exists(f)) ?? (iniHas(files, 'setup.cfg', /^\[mypy\]/m) ? 'setup.cfg [mypy]' : undefined);
  if (mypy) return { cmd: `${prefix}python3 -m mypy .`, why: mypy };
  const pyright = /^\[tool\.pyright\b/m.test(pyproject) ? 'pyproject.toml [tool.pyright]' : files.exists('pyrightconfig.json') ? 'pyrightconfig.json' : undefined;
  if (pyright) return { cmd: `${prefix}pyright`, why: pyright };
  return undefined;
}

function goTool(kind: ToolKind, files: ProjectFiles): ToolCommand | undefined {
  if (!files.exists('go.mod')) return undefined;
  if (kind === 'type') return { cmd: 'go build ./...', why: 'go.mod (the compiler is the type checker)' };
  const golangci = ['.golangci.yml', '.golangci.yaml', '.golangci.toml', '.golangci.json'].find((f) => files.exists(f));
  if (golangci) return { cmd: 'golangci-lint run', why: golangci };
  return { cmd: 'go vet ./...', why: 'go.mod (go vet ships with the toolchain)' };
}

function rustTool(kind: ToolKind, files: ProjectFiles): ToolCommand | undefined {
  if (!files.exists('Cargo.toml')) return undefined;
  if (kind === 'type') return { cmd: 'cargo check --all-targets --quiet', why: 'Cargo.toml' };
  return { cmd: 'cargo clippy --all-targets --quiet -- -D warnings', why: 'Cargo.toml (clippy ships with rustup)' };
}

export function projectTool(kind: ToolKind, lang: Lang, files: ProjectFiles): ToolCommand | undefined {
  switch (lang) {
    case 'js':
    case 'ts':
      return jsTool(kind, lang, files);
    case 'python':
      return pythonTool(kind, files);
    case 'go':
      return goTool(kind, files);
    case 'rust':
      return rustTool(kind, files);
  }
}

/** What to configure so a gate has a tool to run, for the note `peers init` prints. */
export function toolAdvice(kind: ToolKind, lang: Lang): string {
  const advice: Record<Lang, Record<ToolKind, string>> = {
    js: { lint: 'a "lint" script in package.json, or an eslint/biome config', type: 'a "typecheck" script in package.json, or jsconfig.json with checkJs' },
    ts: { lint: 'a "lint" script in package.json, or an eslint/biome config', type: 'a "typecheck" script in package.json, or tsconfig.json' },
    python: { lint: 'ruff ([tool.ruff] in pyproject.toml or ruff.toml), flake8 (.flake8) or pylint (.pylintrc)', type: 'mypy ([tool.mypy] or mypy.ini) or pyright (pyrightconfig.json)' },
    go: { lint: 'go.mod', type: 'go.mod' },
    rust: { lint: 'Cargo.toml', type: 'Cargo.toml' },
  };
  return advice[lang][kind];
}
