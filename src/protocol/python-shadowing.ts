/**
 * Python files that replace a module the test run imports, without touching the test or the
 * runner's configuration. `python -m pytest` puts the working directory first on `sys.path` (and
 * pytest inserts the tests' root directory), so a `pytest/` package, an `argparse.py` or a
 * `*.dist-info` whose `pytest11` entry point names a plugin, committed at the top of the project,
 * runs instead of (or inside) the real runner; compiled code (`__pycache__/*.pyc` with an
 * unchecked hash, `*.so`) is imported in place of the source a reviewer reads. Pure over paths;
 * gate-surface.ts lists them (SECURITY.md, "Done means done").
 *
 * Names are matched as classes, not as a list of what one Python happens to import: every name
 * with a leading underscore (the interpreter's private modules and C accelerators, `__future__`,
 * `_json`, `_pytest`; a project keeps its private modules inside its package) and every
 * `pytest_*` name (pytest plugins by convention, loaded through their entry points) count, next to
 * the public standard library and the runners' dependencies.
 */

/** The public standard library (Python 3.11's `sys.stdlib_module_names` and 3.14's new names, without `test`); private names are isPrivateName's. */
const STDLIB = new Set(
  `abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect builtins bz2 cProfile calendar cgi cgitb
chunk cmath cmd code codecs codeop collections colorsys compileall concurrent configparser contextlib contextvars copy copyreg crypt csv ctypes curses
dataclasses datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput fnmatch fractions
ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect io
ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt
multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil
platform plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri random re readline
reprlib resource rlcompleter runpy sched secrets select selectors shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3
sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile
telnetlib tempfile termios textwrap this threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle turtledemo types
typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport
zlib zoneinfo annotationlib compression`.split(/\s+/),
);

/** The test runners themselves: every Python file under a directory of this name is theirs. */
const RUNNERS = new Set(['pytest', '_pytest', 'pluggy', 'iniconfig', 'py', 'nose', 'nose2']);
/** What the runners import; a directory of this name shadows only as a regular package (`__init__.py`). */
const RUNNER_DEPS = new Set(['packaging', 'exceptiongroup', 'tomli', 'colorama', 'pygments', 'hypothesis', 'coverage', 'xdist', 'execnet']);

/** A runner: pytest and its own packages, and any `pytest_*` plugin (every file under it is the runner's). */
const isRunnerName = (name: string) => RUNNERS.has(name) || /^pytest_\w+$/.test(name);

/**
 * A private module of the interpreter or of a library: `__future__` (loaded by every `from
 * __future__ import`), `_json` and the other C accelerators (found in lib-dynload, after the working
 * directory), `_compression`, `_strptime`… `__init__` and `__main__` name no module of their own.
 */
const isPrivateName = (name: string) => name.startsWith('_') && name !== '__init__' && name !== '__main__';

/** A module or regular package of this name at an import root is imported instead of the installed one. */
const isLibraryName = (name: string) => RUNNER_DEPS.has(name) || STDLIB.has(name) || isPrivateName(name);

/** Directories that are on `sys.path` in the usual layouts: the project's top, `src/`, `lib/`. */
const IMPORT_ROOT = /^(?:(?:src|lib)\/)?([^/]+)$|^(?:(?:src|lib)\/)?([^/]+)\/(.+\.(?:py|pyc|pyo|so|pyd))$/;
const MODULE_FILE = /^([A-Za-z_][\w]*)(?:\.[\w-]+)?\.(py|pyc|pyo|so|pyd)$/;

/**
 * A module name a committed file would claim on `sys.path`, when that name is the runner's or the
 * standard library's. A directory without `__init__.py` is a namespace package, which never wins
 * over a regular module of the same name, so only its `__init__` counts (a `packaging/` of build
 * scripts shadows nothing), except under a runner's own name.
 */
export function shadowedModuleOf(path: string): string | undefined {
  const m = IMPORT_ROOT.exec(path);
  if (!m) return undefined;
  if (m[1] !== undefined) {
    const name = MODULE_FILE.exec(m[1])?.[1];
    return name && (isRunnerName(name) || isLibraryName(name)) ? name : undefined;
  }
  const name = m[2]!;
  if (isRunnerName(name)) return name;
  const isInit = /^__init__\.(py|pyc|pyo|so|pyd)$|^__init__\.[\w-]+\.(so|pyd)$/.test(m[3]!);
  return isInit && isLibraryName(name) ? name : undefined;
}

/** Compiled Python that is imported instead of the source next to it, or without one. */
export function isCompiledPython(path: string): boolean {
  return /(^|\/)__pycache__\//.test(path) || /\.(pyc|pyo|pyd|so)$/i.test(path);
}

/** Installed-package metadata: pytest loads every `pytest11` entry point found on `sys.path`. */
export function isPackageMetadata(path: string): boolean {
  return /(^|\/)[^/]+\.(dist-info|egg-info|egg)(\/|$)|\.egg-link$/i.test(path);
}
