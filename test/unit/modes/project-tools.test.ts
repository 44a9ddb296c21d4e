import { describe, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { runShell } from '../../../modes/checks/run-command.ts';
import type { ProjectFiles } from '../../../src/config/detect-project.ts';
import { detectLang, normalizeLang } from '../../../src/mode-registry/language.ts';
import { projectTool } from '../../../src/mode-registry/project-tools.ts';
import { testCommand } from '../../../src/mode-registry/test-command.ts';

function files(map: Record<string, string>): ProjectFiles {
  return { read: (p) => map[p], exists: (p) => p in map, list: (d) => Object.keys(map).filter((p) => (d ? p.startsWith(`${d}/`) : !p.includes('/'))).map((p) => p.slice(d ? d.length + 1 : 0)) };
}

const CTX = { resultsFile: '/tmp/r', nodeReporter: '/tmp/rep.mjs', pytestAvailable: true };

describe('project language', () => {
  test('aliases and detection (TypeScript by tsconfig or dependency)', () => {
    expect(['golang', 'RS', 'py', 'typescript', 'node', 'cobol'].map(normalizeLang)).toEqual(['go', 'rust', 'python', 'ts', 'js', undefined]);
    expect(detectLang(files({ 'package.json': '{"scripts":{"test":"node --test"}}' }))).toBe('js');
    expect(detectLang(files({ 'package.json': '{"devDependencies":{"typescript":"5"}}' }))).toBe('ts');
    expect(detectLang(files({ 'Cargo.toml': '[package]' }))).toBe('rust');
    expect(detectLang(files({ 'go.mod': 'module x' }))).toBe('go');
    expect(detectLang(files({ 'pyproject.toml': '[project]' }))).toBe('python');
    expect(detectLang(files({ 'README.md': '#' }))).toBeUndefined();
  });
});

describe("the project's own lint and type tools", () => {
  test('JS/TS: package.json scripts first (with the package manager), then eslint/biome and tsconfig', () => {
    expect(projectTool('lint', 'js', files({ 'package.json': '{"scripts":{"lint":"eslint ."}}', 'pnpm-lock.yaml': '' }))).toEqual({ cmd: 'PATH="$PWD/node_modules/.peers-pm/node_modules/.bin:$PATH" pnpm run lint', why: 'package.json scripts.lint' });
    expect(projectTool('lint', 'ts', files({ 'package.json': '{}', 'eslint.config.mjs': '' }))?.cmd).toBe('npx --no-install eslint .');
    expect(projectTool('type', 'ts', files({ 'package.json': '{"scripts":{"typecheck":"tsc"}}' }))?.cmd).toBe('npm run typecheck');
    expect(projectTool('type', 'ts', files({ 'package.json': '{}', 'tsconfig.json': '{}' }))?.cmd).toBe('npx --no-install tsc --noEmit -p .');
    expect(projectTool('type', 'js', files({ 'package.json': '{}', 'tsconfig.json': '{}' }))).toBeUndefined();
    expect(projectTool('lint', 'js', files({ 'package.json': '{}' }))).toBeUndefined();
  });

  test('Python: ruff, flake8 or pylint; mypy or pyright; uv/poetry run them in the project environment', () => {
    // The image has no uv or Poetry: setup filled .venv with them (src/config/python-tool.ts), the checks put it first on PATH as `uv run` does.
    expect(projectTool('lint', 'python', files({ 'pyproject.toml': '[tool.ruff]\nline-length = 100\n', 'uv.lock': '' }))).toEqual({ cmd: 'PATH="$PWD/.venv/bin:$PATH" ruff check .', why: 'pyproject.toml [tool.ruff]' });
    expect(projectTool('type', 'python', files({ 'pyproject.toml': '[tool.poetry]\nname = "x"\n\n[tool.mypy]\n' }))?.cmd).toBe('PATH="$PWD/.venv/bin:$PATH" python3 -m mypy .');
    expect(testCommand('python', files({ 'poetry.lock': '' }), { ...CTX, pytestAvailable: false })).toMatchObject({ cmd: "PATH=\"$PWD/.venv/bin:$PATH\" python3 -m pytest -q -p no:cacheprovider --junitxml='/tmp/r'", format: 'junit-xml' });
    expect(projectTool('lint', 'python', files({ 'setup.cfg': '[flake8]\nmax-line-length = 100\n' }))?.cmd).toBe('python3 -m flake8');
    expect(projectTool('type', 'python', files({ 'mypy.ini': '[mypy]' }))?.cmd).toBe('python3 -m mypy .');
    expect(projectTool('type', 'python', files({ 'pyproject.toml': '[project]' }))).toBeUndefined();
  });

  test('Go and Rust: the toolchain lints and type-checks', () => {
    expect(projectTool('lint', 'go', files({ 'go.mod': 'module x' }))?.cmd).toBe('go vet ./...');
    expect(projectTool('lint', 'go', files({ 'go.mod': 'module x', '.golangci.yml': '' }))?.cmd).toBe('golangci-lint run');
    expect(projectTool('type', 'go', files({ 'go.mod': 'module x' }))?.cmd).toBe('go build ./...');
    expect(projectTool('lint', 'rust', files({ 'Cargo.toml': '' }))?.cmd).toBe('cargo clippy --all-targets --quiet -- -D warnings');
    expect(projectTool('type', 'rust', files({ 'Cargo.toml': '' }))?.cmd).toBe('cargo check --all-targets --quiet');
  });
});

describe('test commands with per-test results', () => {
  test('node --test gets our reporter through NODE_OPTIONS, keeping any the project set', () => {
    const c = testCommand('js', files({ 'package.json': '{"scripts":{"test":"node --test test/"}}' }), { ...CTX, nodeOptions: '--max-old-space-size=512' });
    expect(c).toMatchObject({ cmd: 'npm test', format: 'node-events' });
    expect(!('error' in c) && c.env.NODE_OPTIONS).toBe('--max-old-space-size=512 --test-reporter=/tmp/rep.mjs --test-reporter-destination=/tmp/r --test-reporter=spec --test-reporter-destination=stdout');
  });

  test('jest, vitest and mocha get their JSON reporter; an unknown runner is refused, not guessed', () => {
    expect(testCommand('ts', files({ 'package.json': '{"scripts":{"test":"jest --ci"}}' }), CTX)).toMatchObject({ cmd: "npm test -- --json --outputFile='/tmp/r'", format: 'jest-json' });
    expect(testCommand('ts', files({ 'package.json': '{"scripts":{"test":"vitest run"}}', 'yarn.lock': '' }), CTX)).toMatchObject({ cmd: 'PATH="$PWD/node_modules/.peers-pm/node_modules/.bin:$PATH" yarn test --reporter=json --outputFile=\'/tmp/r\'', format: 'jest-json' });
    expect(testCommand('js', files({ 'package.json': '{"scripts":{"test":"ava"}}' }), CTX)).toEqual({ error: 'cannot read single test results from "ava": no-prior-regression understands node --test, jest, vitest and mocha' });
    expect(testCommand('js', files({ 'package.json': '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}' }), CTX)).toEqual({ error: 'package.json has no test script' });
  });

  test('Python: pytest with JUnit XML, else unittest; Go and Rust: their own runners', () => {
    expect(testCommand('python', files({}), CTX)).toMatchObject({ cmd: "python3 -m pytest -q -p no:cacheprovider --junitxml='/tmp/r'", format: 'junit-xml' });
    expect(testCommand('python', files({}), { ...CTX, pytestAvailable: false })).toMatchObject({ cmd: 'python3 -m unittest discover -v', format: 'unittest-verbose' });
    expect(testCommand('go', files({}), CTX)).toMatchObject({ cmd: 'go test -json ./...', format: 'go-json' });
    expect(testCommand('rust', files({}), CTX)).toMatchObject({ cmd: 'cargo test --no-fail-fast 2>&1', format: 'cargo-text' });
  });
});

describe("the project's commands", () => {
  test("never see the repository view `peers check` reads through, keeping the rest of the environment", () => {
    const saved = { GIT_DIR: process.env.GIT_DIR, GIT_WORK_TREE: process.env.GIT_WORK_TREE, GIT_INDEX_FILE: process.env.GIT_INDEX_FILE, PEERS_PROBE: process.env.PEERS_PROBE };
    Object.assign(process.env, { GIT_DIR: '/tmp/view.git', GIT_WORK_TREE: '/tmp/work', GIT_INDEX_FILE: '/tmp/view.git/index', PEERS_PROBE: 'kept' });
    try {
      const run = runShell('printf "%s|%s|%s|%s|%s" "${GIT_DIR-unset}" "${GIT_WORK_TREE-unset}" "${GIT_INDEX_FILE-unset}" "$PEERS_PROBE" "$EXTRA"', tmpdir(), { EXTRA: 'given' });
      expect(run.stdout).toBe('unset|unset|unset|kept|given');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
