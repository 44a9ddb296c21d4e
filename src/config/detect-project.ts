/**
 * What `peers init` proposes from the project it finds: the test command as a hard gate with a
 * `pass_when` that means something for that runner (tests ran and none failed, not only exit 0),
 * a `setup:` that installs dependencies from the lockfile, the package registries the gates need
 * through the egress proxy, and notes on what the workspace image lacks. Pure: it sees the
 * repository only through `ProjectFiles`, so every rule is tested on file contents alone.
 */
import { IMAGE_PYTHON, PROJECT_PYTHON, pythonToolNotes, pythonToolOf, pythonToolSetup, requiredPythonMinor } from './python-tool.ts';
import { isYarnBerry, packageManagerOf, PM_DIR, pmSetupCommand, scriptCommand, type PackageManager } from './package-manager.ts';


/** What makes a toolchain the image lacks available to the gates (the image's PATH extends its base's, Containerfile). */
const imageFix = (program: string): string =>
  `build the image on a Debian bookworm base that has ${program} on its PATH (\`peers image build --force --base IMAGE\`); \`peers doctor\` checks`;

export type ProjectFiles = {
  /** Text of a regular file (relative path), undefined when absent, not regular, or too large. */
  read(rel: string): string | undefined;
  exists(rel: string): boolean;
  /** Names in a directory (relative path; '' is the top), [] when absent. */
  list(rel: string): string[];
};

export type ProposedGate = { id: string; description: string; cmd: string; pass_when: string; timeout_s: number; cacheable?: boolean; why: string };

export type ProjectProposal = {
  /** Ecosystems found, in the order their gates appear. */
  kinds: string[];
  gates: ProposedGate[];
  setup?: string;
  /** `goals.stuck_halt_gates` for config.yaml when no suite's gate is `tests-pass` (prefixed monorepo suites). */
  stuckHaltGates?: string[];
  egress: string[];
  notes: string[];
};

type Found = {
  kind: string;
  tests?: Omit<ProposedGate, 'id'>;
  extra: ProposedGate[];
  setup?: string;
  egress: string[];
  notes: string[];
  /** Why no test gate was proposed here: said only when no package below proposes one either. */
  noTests?: string;
  /** A package.json naming workspaces (or a pnpm-workspace.yaml): its install covers its packages. */
  workspaceRoot?: boolean;
};

/** What `npm init` writes into scripts.test: a test command that always fails. */
const NPM_PLACEHOLDER_TEST = /no test specified/;
const TEST_TIMEOUT_S = 600;

/**
 * The exit status is not the runner's only word: code the tests import runs in the runner's process
 * and can set it (`atexit.register(os._exit, 0)` after pytest printed "1 failed, 1 passed"; SECURITY.md,
 * "The product cannot patch, end or probe the test run"), so each pass_when also reads that the
 * runner's own summary names no failure.
 */
const PYTEST_PASS = 'exit_code == 0 and regex("[0-9]+ passed", stdout) != None and regex("[0-9]+ (failed|errors?)", stdout) == None';
const UNITTEST_PASS = 'exit_code == 0 and regex("Ran [1-9][0-9]* tests?", stderr) != None and regex("(?m)^FAILED ", stderr) == None';
// node --test reports `# pass N` (TAP) or `ℹ pass N` (spec reporter): one leading character.
const NODE_TEST_PASS = 'exit_code == 0 and regex("(?m)^. pass [1-9]", stdout) != None and regex("(?m)^. fail 0$", stdout) != None';

/** pass_when per test runner named in a test script: tests must have run, and none failed. */
function nodeRunnerPassWhen(script: string): { runner: string; pass_when: string } {
  if (/\bnode\b[^&|;]*--test\b/.test(script)) return { runner: 'node --test', pass_when: NODE_TEST_PASS };
  if (/\bvitest\b/.test(script)) return { runner: 'vitest', pass_when: 'exit_code == 0 and regex("Tests +[0-9]+ passed", stdout) != None' };
  // Jest prints its summary on stderr.
  if (/\bjest\b/.test(script)) return { runner: 'jest', pass_when: 'exit_code == 0 and regex("Tests: +[0-9]+ passed", stderr) != None' };
  if (/\bmocha\b/.test(script)) return { runner: 'mocha', pass_when: 'exit_code == 0 and regex("[1-9][0-9]* passing", stdout) != None and regex("[0-9]+ failing", stdout) == None' };
  if (/\bbun test\b/.test(script)) return { runner: 'bun test', pass_when: 'exit_code == 0 and regex("(?m)^ *[1-9][0-9]* pass$", stderr) != None and regex("(?m)^ *0 fail$", stderr) != None' };
  return { runner: 'its test script', pass_when: 'exit_code == 0' };
}

/** A root test script that runs each workspace's own (`npm test --workspaces`, `pnpm -r test`, …). */
const delegatesToWorkspaces = (script: string): boolean =>
  /\b(?:npm|yarn)\b[^&|;]*\s(?:--workspaces?\b|-ws\b)|\bpnpm\b[^&|;]*\s(?:-r|--recursive)\b|\byarn workspaces\b|\blerna run\b/.test(script);

/** The workspace directories package.json names: `dir/*` globs and plain paths (other globs are skipped). */
function workspaceDirs(pkg: Record<string, unknown>, files: ProjectFiles): string[] {
  const field = pkg.workspaces;
  const patterns = Array.isArray(field) ? field : Array.isArray(record(field).packages) ? (record(field).packages as unknown[]) : [];
  return patterns.filter((p): p is string => typeof p === 'string').flatMap((p) => {
    const dir = p.replace(/^\.\//, '').replace(/\/+$/, '');
    if (dir.endsWith('/*') && !dir.slice(0, -2).includes('*')) return files.list(dir.slice(0, -2)).map((n) => `${dir.slice(0, -2)}/${n}`);
    return dir.includes('*') ? [] : [dir];
  });
}

/**
 * A root script that runs the workspaces' tests: its output is theirs, so the pass_when is the
 * one of their runner when they all use one (tests ran and none failed), else the exit code.
 */
function workspacesPassWhen(pkg: Record<string, unknown>, files: ProjectFiles): { runner: string; pass_when: string } {
  const scripts = workspaceDirs(pkg, files)
    .map((d) => record(record(parseJson(files.read(`${d}/package.json`))).scripts).test)
    .filter((t): t is string => typeof t === 'string' && !NPM_PLACEHOLDER_TEST.test(t));
  const runners = [...new Set(scripts.map((t) => nodeRunnerPassWhen(t).runner))];
  if (scripts.length && runners.length === 1 && runners[0] !== 'its test script') return { ...nodeRunnerPassWhen(scripts[0]!), runner: `${runners[0]} in ${scripts.length} workspace${scripts.length === 1 ? '' : 's'}` };
  return { runner: 'the workspaces\' test scripts', pass_when: 'exit_code == 0' };
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** About a setup of its own: not said of a workspace's package (its root's install covers it). */
const NO_NPM_LOCK_NOTE = 'no package-lock.json: setup is `npm install`, so each gate run may resolve newer dependencies; commit a lockfile and use `npm ci`';

function detectNode(files: ProjectFiles): Found | undefined {
  const text = files.read('package.json');
  if (text === undefined) return undefined;
  const pkg = parseJson(text);
  const notes: string[] = [];
  if (!pkg) return { kind: 'node', extra: [], egress: [], notes: ['package.json does not parse as JSON: no gate proposed for it'] };
  const scripts = record(pkg.scripts);
  const deps = { ...record(pkg.dependencies), ...record(pkg.devDependencies) };
  const pm = packageManagerOf(pkg, files);
  const npmLock = files.exists('package-lock.json') || files.exists('npm-shrinkwrap.json');
  const hasDeps = Object.keys(deps).length > 0;
  const setup: Record<PackageManager, string | undefined> = {
    npm: npmLock ? 'npm ci' : hasDeps ? 'npm install --no-audit --no-fund' : undefined,
    pnpm: pmSetupCommand('pnpm', pkg, files),
    yarn: pmSetupCommand('yarn', pkg, files),
    bun: 'bun install --frozen-lockfile',
  };
  if (pm === 'npm' && !npmLock && hasDeps) notes.push(NO_NPM_LOCK_NOTE);
  if (pm === 'bun') notes.push(`bun is not in the workspace image (it has node and npm): switch setup and the gates to npm, or ${imageFix(pm)}`);
  if (pm === 'pnpm' || pm === 'yarn') notes.push(`${pm} is not in the workspace image (it has node and npm): setup installs it with npm into ${PM_DIR} in the checkout (from registry.npmjs.org), and the gates run that one`);
  const berry = pm === 'yarn' && isYarnBerry(pkg, files);
  const run = (script: string) => scriptCommand(pm, script, berry);
  const testScript = typeof scripts.test === 'string' ? scripts.test : undefined;
  let tests: Found['tests'];
  if (testScript && !NPM_PLACEHOLDER_TEST.test(testScript)) {
    const { runner, pass_when } = delegatesToWorkspaces(testScript) ? workspacesPassWhen(pkg, files) : nodeRunnerPassWhen(testScript);
    tests = { description: `The test suite passes (${runner}).`, cmd: run('test'), pass_when, timeout_s: TEST_TIMEOUT_S, why: `package.json scripts.test: ${testScript}` };
  }
  const noTests = tests ? undefined : testScript ? 'package.json scripts.test is npm\'s "no test specified" placeholder: no test gate proposed' : 'package.json has no scripts.test: no test gate proposed';
  const extra: ProposedGate[] = [];
  const typecheck = ['typecheck', 'type-check', 'tsc'].find((s) => typeof scripts[s] === 'string');
  if (typecheck) {
    extra.push({ id: 'typecheck', description: 'The code typechecks.', cmd: run(typecheck), pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: `package.json scripts.${typecheck}` });
  } else if (files.exists('tsconfig.json') && 'typescript' in deps) {
    extra.push({ id: 'typecheck', description: 'The code typechecks.', cmd: 'npx --no-install tsc --noEmit', pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: 'tsconfig.json and typescript in devDependencies' });
  }
  const egress = pm === 'yarn' ? ['registry.npmjs.org', 'registry.yarnpkg.com'] : ['registry.npmjs.org'];
  const workspaceRoot = workspaceDirs(pkg, files).length > 0 || pkg.workspaces !== undefined || files.exists('pnpm-workspace.yaml');
  return { kind: 'node', tests, extra, setup: setup[pm], egress: setup[pm] ? egress : [], notes, ...(noTests ? { noTests } : {}), ...(workspaceRoot ? { workspaceRoot } : {}) };
}

function mentionsPytest(files: ProjectFiles): boolean {
  if (files.exists('pytest.ini') || files.exists('conftest.py')) return true;
  const pyproject = files.read('pyproject.toml') ?? '';
  if (/^\[tool\.pytest/m.test(pyproject) || /\bpytest\b/.test(pyproject)) return true;
  if (/^\[(?:tool:)?pytest\]/m.test(files.read('setup.cfg') ?? '') || /^\[pytest\]/m.test(files.read('tox.ini') ?? '')) return true;
  return files.list('').filter((n) => /^requirements.*\.txt$/.test(n)).some((n) => /^pytest\b/im.test(files.read(n) ?? ''));
}

const isPythonTest = (n: string) => /^test_.*\.py$|_test\.py$/.test(n);

function hasPythonTests(files: ProjectFiles): boolean {
  return ['', 'tests', 'test'].some((d) => files.list(d).some(isPythonTest));
}

/**
 * Test files written for pytest (bare `def test_` functions with `assert`), none for unittest:
 * `unittest discover` runs none of them ("Ran 0 tests"), and the image has pytest.
 */
function pytestStyleTests(files: ProjectFiles): boolean {
  const texts = ['', 'tests', 'test'].flatMap((d) => files.list(d).filter(isPythonTest).map((n) => files.read(d ? `${d}/${n}` : n) ?? ''));
  return texts.length > 0 && !texts.some((t) => /\bunittest\b/.test(t)) && texts.some((t) => /^\s*(?:async\s+)?def test_|^\s*import pytest|^\s*from pytest\b/m.test(t));
}

/**
 * What `setup` installs into the checkout's venv: the requirements files, else the project itself
 * (editable) when pyproject.toml declares dependencies. Undefined when there is nothing to install.
 */
function pythonInstall(files: ProjectFiles, requirements: string[]): { args: string; why: string } | undefined {
  // requirements.txt first, then the others by name: the proposal reads the same on every machine.
  const ordered = [...requirements].sort((a, b) => Number(b === 'requirements.txt') - Number(a === 'requirements.txt') || a.localeCompare(b));
  if (ordered.length) return { args: ordered.map((r) => `-r ${r}`).join(' '), why: ordered.join(', ') };
  const pyproject = files.read('pyproject.toml') ?? '';
  // The extra the tests need, when the project declares one (`pip install -e '.[test]'`).
  const extras = /^\[project\.optional-dependencies\]\s*\n((?:(?!\[).*\n?)*)/m.exec(pyproject)?.[1] ?? '';
  const extra = ['test', 'tests', 'testing', 'dev'].find((e) => new RegExp(`^${e}\\s*=`, 'm').test(extras));
  if (extra) return { args: `-e '.[${extra}]'`, why: `pyproject.toml optional-dependencies ${extra}` };
  if (/^dependencies\s*=\s*\[\s*["']/m.test(pyproject)) return { args: '-e .', why: 'pyproject.toml dependencies' };
  return undefined;
}

function detectPython(files: ProjectFiles): Found | undefined {
  const markers = ['pyproject.toml', 'setup.py', 'setup.cfg', 'pytest.ini', 'tox.ini'];
  const requirements = files.list('').filter((n) => /^requirements.*\.txt$/.test(n));
  if (!markers.some((m) => files.exists(m)) && !requirements.length && !hasPythonTests(files)) return undefined;
  const notes: string[] = [];
  const egress = ['pypi.org', 'files.pythonhosted.org'];
  const pytest = mentionsPytest(files) || pytestStyleTests(files);
  const tool = pythonToolOf(files);
  if (tool) {
    const why = [`${tool}.lock`, 'pyproject.toml'].find((f) => files.exists(f)) ?? 'pyproject.toml';
    const minor = requiredPythonMinor(files);
    // uv downloads no interpreter in setup, and Poetry makes .venv with the python it runs on.
    const newer = minor !== undefined && minor > IMAGE_PYTHON.minor ? [`pyproject.toml requires Python 3.${minor} or newer, and the workspace image has 3.${IMAGE_PYTHON.minor} (Debian bookworm): setup fails in a run; build the image on a Debian bookworm base that has python3.${minor} on its PATH (\`peers image build --force --base IMAGE\`)`] : [];
    return { kind: 'python', tests: { description: 'The test suite passes (pytest).', cmd: `${PROJECT_PYTHON} -m pytest -q`, pass_when: PYTEST_PASS, timeout_s: TEST_TIMEOUT_S, why }, extra: [], setup: pythonToolSetup(tool, files), egress, notes: [...pythonToolNotes(tool, files), ...newer] };
  }
  // Dependencies go into a venv in the checkout, made by setup (the gates share that checkout);
  // it sees the image's pytest (--system-site-packages), and a pytest the project pins wins inside.
  const install = pythonInstall(files, requirements);
  const python = install ? '.venv/bin/python' : 'python3';
  const withInstall = install ? { setup: `python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q ${install.args}`, egress } : { egress: [] };
  if (pytest || files.exists('pyproject.toml')) {
    return {
      kind: 'python',
      tests: { description: 'The test suite passes (pytest).', cmd: `${python} -m pytest -q`, pass_when: PYTEST_PASS, timeout_s: TEST_TIMEOUT_S, why: pytest ? (mentionsPytest(files) ? 'pytest configured or required' : 'test_*.py files written for pytest') : 'pyproject.toml' },
      extra: [],
      ...withInstall,
      notes: [],
    };
  }
  if (hasPythonTests(files)) {
    return {
      kind: 'python',
      // unittest prints "Ran N tests" and "OK" on stderr; zero tests is "Ran 0 tests" and must not pass.
      tests: { description: 'The test suite passes (unittest).', cmd: `${python} -m unittest discover -v`, pass_when: UNITTEST_PASS, timeout_s: TEST_TIMEOUT_S, why: 'test_*.py files' },
      extra: [],
      ...withInstall,
      notes: [],
    };
  }
  return { kind: 'python', extra: [], egress: [], notes: [], noTests: 'a Python project without tests that peers could find: no test gate proposed' };
}

function detectRust(files: ProjectFiles): Found | undefined {
  if (!files.exists('Cargo.toml')) return undefined;
  return {
    kind: 'rust',
    // Each test binary (doc-tests too) prints "test result: ok. N passed"; at least one must have run tests.
    tests: { description: 'The test suite passes (cargo test).', cmd: 'cargo test', pass_when: 'exit_code == 0 and regex("test result: ok[.] [1-9][0-9]* passed", stdout) != None and "test result: FAILED" not in stdout', timeout_s: 1800, cacheable: true, why: 'Cargo.toml' },
    extra: [],
    setup: files.exists('Cargo.lock') ? 'cargo fetch --locked' : 'cargo fetch',
    egress: ['crates.io', 'index.crates.io', 'static.crates.io'],
    notes: [`the workspace image has no Rust toolchain, so this gate fails in a run: ${imageFix('cargo')}`],
  };
}

function detectGo(files: ProjectFiles): Found | undefined {
  if (!files.exists('go.mod')) return undefined;
  return {
    kind: 'go',
    // -v: a `--- PASS: TestX` line per test that ran. Without it go prints only `ok  <pkg>`, also when
    // the package's code ends the test binary before any test (`os.Exit(0)` in an init), and names no
    // count, so fewer tests running would go unseen (src/protocol/tests-run.ts).
    tests: { description: 'The test suite passes (go test -v).', cmd: 'go test -v ./...', pass_when: 'exit_code == 0 and regex("(?m)^--- PASS: ", stdout) != None', timeout_s: 1800, cacheable: true, why: 'go.mod' },
    extra: [],
    setup: files.exists('go.sum') ? 'go mod download' : undefined,
    egress: files.exists('go.sum') ? ['proxy.golang.org', 'sum.golang.org'] : [],
    notes: [`the workspace image has no Go toolchain, so this gate fails in a run: ${imageFix('go')}`],
  };
}

/**
 * A Makefile with a `test` or `check` target, for a project no other detector recognised (a C
 * project): the target is the suite. Make's exit code is all there is to judge; the image has
 * neither make nor a C compiler, which the note says.
 */
function detectMake(files: ProjectFiles): Found | undefined {
  const makefile = ['GNUmakefile', 'makefile', 'Makefile'].find((n) => files.exists(n));
  const text = makefile ? (files.read(makefile) ?? '') : '';
  const target = ['test', 'check'].find((t) => new RegExp(`^${t}\\s*:(?!=)`, 'm').test(text));
  if (!makefile || !target) return undefined;
  return {
    kind: 'make',
    tests: { description: `The test suite passes (make ${target}).`, cmd: `make ${target}`, pass_when: 'exit_code == 0', timeout_s: TEST_TIMEOUT_S, why: `${makefile} target ${target}` },
    extra: [],
    egress: [],
    notes: [`the workspace image has no make and no C compiler, so this gate fails in a run: ${imageFix('make and cc')}; its pass_when is the exit code alone: tighten it to your suite's summary line`],
  };
}

/** The ecosystems found at the top of `files` (make only when none of the others is there). */
function detectTop(files: ProjectFiles): Found[] {
  const known = [detectNode(files), detectPython(files), detectRust(files), detectGo(files)].filter((f): f is Found => f !== undefined);
  const make = known.length ? undefined : detectMake(files);
  return make ? [make] : known;
}

/** Directories that hold dependencies, builds or tooling, never a project of the repository's own. */
const NOT_A_PACKAGE = /^(?:\..*|node_modules|vendor|dist|build|target|out|venv|env|__pycache__|site-packages)$/;
/** Directories whose packages are examples or test data, not the repository's own suites: never searched a level down. */
const NOT_A_PACKAGE_HOME = /^(?:examples?|samples?|docs?|fixtures?|tests?|testdata|third[_-]party|benchmarks?)$/i;
/** A directory name that reads the same to the shell unquoted (gates and setup are shell lines). */
const PLAIN_DIR = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** `files` seen from the directory `dir`. */
function below(files: ProjectFiles, dir: string): ProjectFiles {
  const at = (rel: string) => (rel ? `${dir}/${rel}` : dir);
  return { read: (rel) => files.read(at(rel)), exists: (rel) => files.exists(at(rel)), list: (rel) => files.list(at(rel)) };
}

/** The projects (with a suite or a setup) at `dir`; [] when none. */
function projectsAt(files: ProjectFiles, dir: string): Found[] {
  return files.list(dir).length ? detectTop(below(files, dir)).filter((f) => f.tests || f.setup) : [];
}

/**
 * The directories, one or two levels down, that hold a project of their own: `frontend/`, and in a
 * directory without one (`packages/`, `apps/`, `services/`) each package in it (`packages/core/`).
 */
function packageDirs(files: ProjectFiles): { dir: string; found: Found[] }[] {
  const out: { dir: string; found: Found[] }[] = [];
  for (const top of [...files.list('')].sort()) {
    if (NOT_A_PACKAGE.test(top)) continue;
    const found = projectsAt(files, top);
    if (found.length) {
      out.push({ dir: top, found });
      continue;
    }
    if (NOT_A_PACKAGE_HOME.test(top)) continue;
    for (const child of [...files.list(top)].sort()) {
      if (NOT_A_PACKAGE.test(child)) continue;
      const nested = projectsAt(files, `${top}/${child}`);
      if (nested.length) out.push({ dir: `${top}/${child}`, found: nested });
    }
  }
  return out;
}

/**
 * A repository with no suite at its top but projects below it (`frontend/`, `backend/`, or
 * `packages/*`, `apps/*`): the gates run at the top (a clean checkout of the repository), so each
 * directory's suite is a gate that changes into it first, and its setup runs there in a subshell.
 * Under a workspace root (a package.json naming workspaces) the root's install covers its node
 * packages, so theirs is left out.
 */
function detectSubdirectories(files: ProjectFiles, workspaceRoot: boolean): Found[] {
  const out: Found[] = [];
  for (const { dir, found } of packageDirs(files)) {
    if (!dir.split('/').every((d) => PLAIN_DIR.test(d))) {
      out.push({ kind: found[0]!.kind, extra: [], egress: [], notes: [`${dir}/ has a ${found[0]!.kind} project, but its name is not a plain word: no gate proposed for it; add one with cmd: cd '${dir.replace(/'/g, "'\\''")}' && …`] });
      continue;
    }
    const id = dir.replace(/\//g, '-');
    for (const f of found) {
      const setup = workspaceRoot && f.kind === 'node' ? undefined : f.setup;
      out.push({
        kind: `${f.kind} (${dir}/)`,
        ...(f.tests ? { tests: { ...f.tests, cmd: `cd ${dir} && ${f.tests.cmd}`, why: `${dir}/: ${f.tests.why}` } } : {}),
        extra: f.extra.map((g) => ({ ...g, id: `${id}-${g.id}`, cmd: `cd ${dir} && ${g.cmd}` })),
        ...(setup ? { setup: `(cd ${dir} && ${setup})` } : {}),
        egress: setup ? f.egress : [],
        notes: f.notes.filter((n) => setup || n !== NO_NPM_LOCK_NOTE).map((n) => `${dir}/: ${n}`),
      });
    }
  }
  return out;
}

/** The directory of a sub-project's `Found` (`services/gosvc`), from its kind `go (services/gosvc/)`; undefined at the top. */
const dirOf = (f: Found): string | undefined => /\((.+)\/\)$/.exec(f.kind)?.[1];

/**
 * Each suite's gate id (undefined for a Found without tests). One suite at the top, or one
 * sub-project's, is `tests-pass`, the id the stuck-gate detector watches by default. Suites of more
 * than one sub-project each carry their directory (`services-gosvc-tests-pass`), and their kind when
 * a directory holds two, so `stuck:<gate>` says which project is stuck; a second suite at the
 * top carries its kind.
 */
function suiteGateIds(found: readonly Found[]): (string | undefined)[] {
  const suites = found.filter((f) => f.tests);
  const dirs = suites.map(dirOf).filter((d): d is string => d !== undefined);
  const prefixAll = new Set(dirs).size > 1;
  const ids: (string | undefined)[] = [];
  for (const f of found) {
    if (!f.tests) {
      ids.push(undefined);
      continue;
    }
    const dir = dirOf(f);
    const kind = f.kind.replace(/ \(.*$/, '');
    const prefix = dir === undefined ? kind : dirs.filter((d) => d === dir).length > 1 ? `${dir}-${kind}` : dir;
    const id = (dir !== undefined && prefixAll) || ids.includes('tests-pass') ? `${prefix.replace(/\//g, '-')}-tests-pass` : 'tests-pass';
    ids.push(ids.includes(id) ? `${prefix.replace(/\//g, '-')}-${kind}-tests-pass` : id);
  }
  return ids;
}

export function detectProject(files: ProjectFiles): ProjectProposal {
  const top = detectTop(files);
  // A top without a suite of its own (nothing, or a workspace root whose package.json runs no
  // tests) gets its packages' suites; one with a suite is the proposal (its packages are its business).
  const nested = top.some((f) => f.tests) ? [] : detectSubdirectories(files, top.some((f) => f.workspaceRoot));
  const found = nested.some((f) => f.tests) ? [...top, ...nested] : top.length ? top : nested;
  const suites = found.some((f) => f.tests);
  const gates: ProposedGate[] = [];
  const suiteIds = suiteGateIds(found);
  found.forEach((f, i) => {
    if (f.tests) gates.push({ id: suiteIds[i]!, ...f.tests });
    for (const g of f.extra) if (!gates.some((x) => x.id === g.id)) gates.push(g);
  });
  const suiteGates = suiteIds.filter((id): id is string => id !== undefined);
  const setups = found.map((f) => f.setup).filter((s): s is string => Boolean(s));
  return {
    kinds: found.map((f) => f.kind),
    gates,
    ...(setups.length ? { setup: setups.join(' && ') } : {}),
    // The stuck-gate detector watches `tests-pass` by default: prefixed suites are named to it.
    ...(suiteGates.length && !suiteGates.includes('tests-pass') ? { stuckHaltGates: [...suiteGates, 'no-prior-regression'] } : {}),
    egress: [...new Set(found.flatMap((f) => f.egress))],
    notes: [...found.flatMap((f) => [...(suites || !f.noTests ? [] : [f.noTests]), ...f.notes]), ...(files.exists('.gitmodules') ? [SUBMODULES_NOTE] : []), ...(/\bfilter=lfs\b/.test(files.read('.gitattributes') ?? '') ? [LFS_NOTE] : [])],
  };
}

/**
 * Git LFS keeps a file's content outside the repository and commits a small pointer; the run clone
 * and the gates' checkouts are made without LFS filters (no git-lfs in the image, no LFS server on
 * the allow-list), so the peers and the gates see the pointer text.
 */
export const LFS_NOTE =
  'the repository uses Git LFS (filter=lfs in .gitattributes): the peers and the gates get the pointer files, not their content, so tests that read those files fail in a run; commit what the tests need as ordinary files, or leave those tests out of the gates';

/**
 * The run clone and the gates' clean checkout come from the trusted mirror, which holds this
 * repository's commits only (docs/ARCHITECTURE.md): a submodule is an empty directory there, so
 * tests that pass in the user's working tree fail in `peers verify` and in the pod.
 */
export const SUBMODULES_NOTE =
  'the repository has git submodules (.gitmodules): the peers and the gates get this repository\'s commits only, and each submodule is an empty directory there, so tests that need a submodule\'s files fail; commit what the tests need into this repository, or fetch it in setup: (its host in egress.allow)';
