/**
 * The checks a project's own CI runs that `peers init` does not propose as gates: linters, format
 * checks and type checkers named in its GitHub Actions workflows, GitLab CI, tox.ini, Makefile and
 * pre-commit configuration. init proposes the test suite it can run in the workspace image; a
 * check it cannot know the image has (ruff, mypy, golangci-lint) is named to the user with the file
 * that runs it, not written as a gate that would fail every tick for a missing program: a new user
 * whose CI ran `ruff check` was told only "add lint or others you rely on". Pure over ProjectFiles.
 */
import { isScalar, isSeq, visit, type Node } from 'yaml';
import type { ProjectFiles } from './detected-ecosystem.ts';
import { parseYaml } from './yaml-source.ts';

export type CiCheck = { cmd: string; file: string };

/** Programs whose run is a check beside the tests (a linter, a format check, a type checker). */
const CHECK = /(?:^|[\s;&|(/])(ruff|flake8|pylint|black|isort|mypy|pyright|eslint|prettier|biome|tsc|golangci-lint|staticcheck|gofmt|go vet|cargo (?:clippy|fmt)|rustfmt|shellcheck|hadolint|markdownlint|yamllint)(?=$|[\s;&|)])/;
/** A format tool that rewrites files is a check only in its check form. */
const REWRITES = /^(black|isort|prettier|biome|cargo fmt|rustfmt|gofmt)$/;
const CHECK_FORM = /(?:^|\s)(--check|--diff|-l|--list-different|check|ci)(?=$|\s)/;
/** Installing a tool is no check of the code (`pip install ruff mypy`). */
const INSTALLS = /^(?:sudo\s+)?(?:python3?\s+-m\s+)?(?:pip3?|uv(?:\s+pip)?|pipx|poetry|npm|pnpm|yarn|bun|cargo|go|apt(?:-get)?|brew|gem|conda|mamba)\s+(?:\S+\s+)*?(?:install|add|i)(?=$|\s)/;

/** A project script or make target by a check's name (`npm run lint`, `make typecheck`). */
const SCRIPTED = /(?:^|[\s;&|(])((?:npm|pnpm|bun) run|pnpm|yarn|make)\s+(lint|typecheck|type-check|check-types|format:check|fmt-check|format-check|style)(?=$|[\s;&|)])/;

/** The check a command line runs, by what names it (its program, or its script); the line as written. */
function checkOf(line: string): { cmd: string; names: string } | undefined {
  const cmd = line.trim();
  if (!cmd || cmd.startsWith('#') || INSTALLS.test(cmd)) return undefined;
  const m = CHECK.exec(cmd);
  const scripted = m ? undefined : SCRIPTED.exec(cmd);
  if (!m && !scripted) return undefined;
  if (m && REWRITES.test(m[1]!) && !CHECK_FORM.test(cmd)) return undefined;
  return { cmd: cmd.length > 120 ? `${cmd.slice(0, 117)}…` : cmd, names: m ? m[1]! : `${scripted![1]} ${scripted![2]}` };
}

const MAX_BYTES = 1024 * 1024;

/** Every string in a YAML file's `run:` (GitHub) and `script:` (GitLab) values, line by line. */
function yamlRuns(text: string, file: string, keys: ReadonlySet<string>): string[] {
  let doc;
  try {
    doc = parseYaml(text, file, { maxBytes: MAX_BYTES }, {}).doc;
  } catch {
    return []; // A CI file peers cannot read is the CI's business, not init's.
  }
  const out: string[] = [];
  const take = (n: Node | null | undefined) => {
    if (isScalar(n) && typeof n.value === 'string') out.push(...n.value.split('\n'));
    else if (isSeq(n)) for (const item of n.items) take(item as Node);
  };
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && keys.has(String(pair.key.value))) take(pair.value as Node);
    },
  });
  return out;
}

/** tox.ini's `commands =` of each testenv, continuation lines included. */
function toxCommands(text: string): string[] {
  const out: string[] = [];
  let inCommands = false;
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) inCommands = false;
    else if (/^commands\s*=/.test(line)) {
      inCommands = true;
      out.push(line.replace(/^commands\s*=/, ''));
    } else if (inCommands && /^\s+\S/.test(line)) out.push(line);
    else if (/^\S/.test(line)) inCommands = false;
  }
  return out;
}

/** The recipes of a Makefile's check-like targets (lint, check, typecheck, fmt-check, style). */
function makeRecipes(text: string): string[] {
  const out: string[] = [];
  let inTarget = false;
  for (const line of text.split('\n')) {
    const target = /^([A-Za-z0-9_.-]+)\s*:(?!=)/.exec(line);
    if (target) inTarget = /^(lint|check|checks|typecheck|type-check|fmt-check|format-check|style|static|vet|mypy|ruff)$/.test(target[1]!);
    else if (inTarget && line.startsWith('\t')) out.push(line.slice(1).replace(/^[@-]+/, ''));
    else if (line.trim() && !line.startsWith('\t')) inTarget = false;
  }
  return out;
}

/** pre-commit hooks by id: `ruff`, `mypy`, … run as the checks they are named for. */
function preCommitHooks(text: string): string[] {
  return [...text.matchAll(/^\s*-\s*id:\s*['"]?([A-Za-z0-9_.-]+)/gm)].map((m) => m[1]!).filter((id) => CHECK.test(` ${id} `) && !REWRITES.test(id));
}

/**
 * The check commands the project's CI runs, each once, with the first file that runs it;
 * `proposed`: the gate commands init proposes (a check among them is not named again).
 */
export function ciChecks(files: ProjectFiles, proposed: readonly string[]): CiCheck[] {
  const found = new Map<string, string>();
  // A check is the proposal's already when a proposed gate runs the same program or script.
  const inProposal = (names: string) => proposed.some((p) => checkOf(p)?.names === names || p.includes(names));
  const note = (lines: string[], file: string) => {
    for (const line of lines) {
      const check = checkOf(line);
      if (check && !found.has(check.cmd) && !inProposal(check.names)) found.set(check.cmd, file);
    }
  };
  for (const name of files.list('.github/workflows').filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = `.github/workflows/${name}`;
    const text = files.read(file);
    if (text) note(yamlRuns(text, file, new Set(['run'])), file);
  }
  const gitlab = files.read('.gitlab-ci.yml');
  if (gitlab) note(yamlRuns(gitlab, '.gitlab-ci.yml', new Set(['script', 'before_script'])), '.gitlab-ci.yml');
  const tox = files.read('tox.ini');
  if (tox) note(toxCommands(tox), 'tox.ini');
  for (const make of ['Makefile', 'makefile', 'GNUmakefile']) {
    const text = files.read(make);
    if (text) note(makeRecipes(text), make);
  }
  const preCommit = files.read('.pre-commit-config.yaml');
  if (preCommit) for (const id of preCommitHooks(preCommit)) if (![...found.keys()].some((c) => c.includes(id)) && !inProposal(id)) found.set(`${id} (a pre-commit hook)`, '.pre-commit-config.yaml');
  return [...found].map(([cmd, file]) => ({ cmd, file }));
}

/** init's note naming them, or undefined when the CI runs none the proposal lacks. */
export function ciChecksNote(checks: readonly CiCheck[]): string | undefined {
  if (!checks.length) return undefined;
  const shown = checks.slice(0, 6).map((c) => `\`${c.cmd}\` (${c.file})`).join(', ');
  return `your CI also runs ${shown}${checks.length > 6 ? `, and ${checks.length - 6} more` : ''}: add those you rely on to .peers/goals.yaml as hard gates; they run in the workspace image, so its tools or your \`setup\` must provide each program (\`peers verify\` shows whether they do)`;
}
