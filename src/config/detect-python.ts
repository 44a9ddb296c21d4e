/**
 * A Python project as `peers init` proposes it (detect-project.ts): pytest or unittest as the gate,
 * with a pass_when that reads the runner's summary, and a setup that installs into a venv (or by
 * uv or Poetry, python-tool.ts).
 */
import { IMAGE_PYTHON, PROJECT_PYTHON, pythonToolNotes, pythonToolOf, pythonToolSetup, requiredPythonMinor } from './python-tool.ts';
import { TEST_TIMEOUT_S, type Found, type ProjectFiles } from './detected-ecosystem.ts';

/**
 * The exit status is not the runner's only word: code the tests import runs in the runner's process
 * and can set it (`atexit.register(os._exit, 0)` after pytest printed "1 failed, 1 passed"; SECURITY.md,
 * "The product cannot patch, end or probe the test run"), so each pass_when also reads that the
 * runner's own summary names no failure.
 */
const PYTEST_PASS = 'exit_code == 0 and regex("[0-9]+ passed", stdout) != None and regex("[0-9]+ (failed|errors?)", stdout) == None';
const UNITTEST_PASS = 'exit_code == 0 and regex("Ran [1-9][0-9]* tests?", stderr) != None and regex("(?m)^FAILED ", stderr) == None';

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
  if (srcLayoutNeedsInstall(files, pyproject)) return { args: '-e .', why: 'a src layout (the tests import the installed package)' };
  return undefined;
}

/**
 * A package under `src/` is not on `sys.path` as `python -m pytest` runs it (the working directory
 * is, which serves a flat layout): the user's own environment has it installed (`pip install -e .`),
 * the gate's checkout does not, and the suite fails to import it. Installable means a build
 * configuration (`[build-system]` or `[project]` in pyproject.toml, setup.py, setup.cfg); a pytest
 * `pythonpath` setting puts `src` on the path itself.
 */
function srcLayoutNeedsInstall(files: ProjectFiles, pyproject: string): boolean {
  const srcPackage = files.list('src').some((d) => files.exists(`src/${d}/__init__.py`));
  if (!srcPackage) return false;
  const buildable = /^\[(?:build-system|project)\]/m.test(pyproject) || files.exists('setup.py') || files.exists('setup.cfg');
  const pytestConfig = [pyproject, files.read('pytest.ini') ?? '', files.read('setup.cfg') ?? '', files.read('tox.ini') ?? ''].join('\n');
  return buildable && !/^\s*pythonpath\s*=/m.test(pytestConfig);
}

export function detectPython(files: ProjectFiles): Found | undefined {
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
