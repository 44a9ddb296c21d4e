/**
 * A repository whose projects are in its subdirectories (a monorepo) as `peers init` proposes it
 * (detect-project.ts): each directory's suite is a gate that changes into it, and each suite's gate
 * id says which project it is.
 */
import type { Found, ProjectFiles } from './detected-ecosystem.ts';
import { detectTop } from './detect-ecosystems.ts';
import { NO_NPM_LOCK_NOTE } from './detect-node.ts';

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
export function detectSubdirectories(files: ProjectFiles, workspaceRoot: boolean): Found[] {
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
export function suiteGateIds(found: readonly Found[]): (string | undefined)[] {
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
