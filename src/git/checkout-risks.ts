/**
 * What in a run's commits would make the user's own git fetch or produce content that was never in
 * the history they reviewed, once they check out or merge the results branch (SECURITY.md,
 * "Results come back as a branch"). The user's git honours their own configuration, and git-lfs
 * installs `filter.lfs.*` globally: a `.gitattributes` the run changed to route files through a
 * filter, with a `.lfsconfig` naming the peers' own server, has the user's git-lfs fetch at
 * checkout whatever that server sends in place of the pointer `git log -p` showed; a changed
 * `.gitmodules` or submodule commit has `git submodule update` fetch another repository's content.
 * The workspace has neither LFS objects nor submodule content, so an honest run has no reason to
 * change any of these; a change is named, and the caller publishes nothing (fail closed). A filter
 * counts when the user's git has a driver for it (`filter.<name>.smudge`, `.process`, `.clean`;
 * `.lfsconfig` when it has one for `lfs`): a filter no driver runs is an attribute git ignores.
 * The same holds for the user's other programs an attribute picks: `diff=<d>` with a
 * `diff.<d>.textconv` or `.command` runs at `git log -p`, `merge=<d>` with a `merge.<d>.driver` at
 * `git merge`; a built-in `diff=python` runs nothing. The user's hooks run files of the tree too:
 * with `core.hooksPath` inside the work tree (`.githooks`, husky's `.husky/_`, whose wrappers run
 * `.husky/<hook>`), a hook the run adds or changes there runs at the user's `git checkout` of the
 * results branch; with any hook installed, a hook manager's configuration (`.pre-commit-config.yaml`,
 * `lefthook.yml`, husky 4's or lint-staged's settings in package.json, …: hook-manager-configs.ts)
 * names the commands the user's next commit runs; and wherever the hooks are, a file of the tree
 * the user's hooks or configuration name (a hook linked into the tree, `include.path =
 * ../.gitconfig`, `filter.x.smudge = sh tools/smudge.sh`: user-tree-references.ts).
 */
import { basename } from 'node:path';
import { git } from './git.ts';
import { firstControl } from './history-controls.ts';
import { hookManagerChange, type ChangedEntry } from './hook-manager-configs.ts';
import { parseRawDiffZ, type TreeChange } from './tree-changes.ts';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ZERO = /^0+$/;
/** An attribute line that sets a filter (`filter=x`, also in an `[attr]` macro); `-filter` and `!filter` unset it. */
const SETS_FILTER = /(^|\s)filter=/;

/** The lines of a .gitattributes text that set a filter, trimmed. */
export function filterLines(text: string): Set<string> {
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('#') && SETS_FILTER.test(l)));
}

/** The config keys that give a driver a program to run: the user's git runs it on the run's files. */
const DRIVER_PROGRAM = /^(filter)\.(.+)\.(smudge|clean|process)$|^(diff)\.(.+)\.(textconv|command)$|^(merge)\.(.+)\.(driver)$/i;
/** The `git config --get-regexp` pattern that lists them. */
export const DRIVER_CONFIG_REGEXP = '^(filter|diff|merge)\\.';

/**
 * The drivers the user's git has a program for, as `filter=<name>`, `diff=<name>`, `merge=<name>`
 * (the attribute that picks each), from `git config --get-regexp DRIVER_CONFIG_REGEXP` output.
 */
export function configuredDrivers(configOutput: string): Set<string> {
  const names = new Set<string>();
  for (const line of configOutput.split('\n')) {
    const m = DRIVER_PROGRAM.exec(line.split(/\s/, 1)[0]!);
    if (m) names.add(`${(m[1] ?? m[4] ?? m[7])!.toLowerCase()}=${m[2] ?? m[5] ?? m[8]}`);
  }
  return names;
}

/** Macros (`[attr]<name> <settings>`) an attributes text defines, with the driver settings each sets (a macro of macros followed). */
export function attributeMacros(text: string): Map<string, string[]> {
  const defs = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*\[attr\](\S+)\s*(.*)$/.exec(line);
    if (m) defs.set(m[1]!, m[2]!.split(/\s+/).filter(Boolean));
  }
  const resolved = new Map<string, string[]>();
  const resolve = (name: string, seen: Set<string>): string[] => {
    if (resolved.has(name)) return resolved.get(name)!;
    if (seen.has(name)) return [];
    seen.add(name);
    const out = (defs.get(name) ?? []).flatMap((t) => (/^(filter|diff|merge)=\S+$/.test(t) ? [t] : defs.has(t) ? resolve(t, seen) : []));
    resolved.set(name, out);
    return out;
  };
  for (const name of defs.keys()) resolve(name, new Set());
  return resolved;
}

/**
 * The `filter=`, `diff=` and `merge=` settings of an attributes line, keyed by its pattern
 * (`*.sh filter=lfs diff=lfs` → both), those a macro it names sets included (`*.sh lfsfile`, with
 * `[attr]lfsfile filter=lfs` in the root .gitattributes).
 */
export function driverSettings(line: string, macros: ReadonlyMap<string, string[]> = new Map()): { pattern: string; setting: string }[] {
  const [pattern, ...tokens] = line.trim().split(/\s+/);
  if (!pattern || pattern.startsWith('#')) return [];
  return tokens.flatMap((t) => (/^(filter|diff|merge)=\S+$/.test(t) ? [t] : macros.get(t) ?? [])).map((setting) => ({ pattern, setting }));
}

/**
 * The user's hooks as publishing weighs them: `dir`, the hooks directory's path in the work tree
 * ending in `/` when `core.hooksPath` puts it there (lower case, as `named` below is), else null;
 * `active`, whether any hook is installed (a file git would run, wherever the directory is).
 */
export type UserHooks = { dir: string | null; active: boolean };
export const NO_USER_HOOKS: UserHooks = { dir: null, active: false };

/**
 * The tree-relative hooks directory `core.hooksPath` names, from the absolute hooks path git
 * reports and the work tree's top (both absolute), lower-cased and ending in `/`; husky's `.husky/_`
 * gives `.husky/`, whose hooks its wrappers run. Null when the directory is outside the tree.
 */
export function treeHooksDir(hooksPath: string, topLevel: string): string | null {
  const top = topLevel.replace(/\/+$/, '');
  if (!hooksPath.startsWith(`${top}/`)) return null;
  let rel = hooksPath.slice(top.length + 1).replace(/\/+$/, '');
  if (rel === '' || rel === '.git' || rel.startsWith('.git/')) return null;
  if (basename(rel) === '_' && rel.includes('/')) rel = rel.slice(0, rel.lastIndexOf('/'));
  return `${rel.toLowerCase()}/`;
}

/**
 * A file (or folder) of the user's tree their own git runs or reads as configuration, as a
 * tree-relative path in lower case, and what of theirs names it (src/git/user-tree-references.ts).
 */
export type TreeReference = { path: string; by: string; fileOnly?: true };

/**
 * Why a change at `named` (tree path, lower case; `newMode` its mode after, `000000` when
 * removed) makes the user's git run or read what the run wrote, or null: it is a file their git
 * runs or reads, a folder above one (made a link or a file), or an executable or a link added
 * right in a folder they name (`PATH=tools/bin:$PATH` in a hook).
 */
export function treeReferenceRisk(named: string, shown: string, newMode: string | undefined, refs: readonly TreeReference[]): string | null {
  for (const r of refs) {
    const runs = `which ${r.by} names: your git would run or read what it then holds at checkout, status, log, merge or commit`;
    if (named === r.path) return `it changes ${shown}, ${runs}`;
    if (r.path.startsWith(`${named}/`)) return `it changes ${shown}, which holds ${JSON.stringify(r.path)}, ${runs}`;
    const inFolder = !r.fileOnly && named.startsWith(`${r.path}/`) && !named.slice(r.path.length + 1).includes('/');
    if (inFolder && (newMode === '100755' || newMode === '120000')) return `it adds the program ${shown} to ${JSON.stringify(r.path)}, ${runs}`;
  }
  return null;
}

function hookRisk(entry: ChangedEntry, shown: string, hooks: UserHooks, mirror: string): string | null | { error: string } {
  const { named } = entry;
  // The directory itself or a folder above it, made a link (`.githooks -> scripts/hooks`) or a file: git then runs what it names.
  if (hooks.dir !== null && hooks.dir.startsWith(`${named}/`)) return `it changes ${shown}, which holds your hooks directory (core.hooksPath ${hooks.dir.slice(0, -1)}): your git would run what it then holds at checkout, merge or commit`;
  if (hooks.dir !== null && named.startsWith(hooks.dir)) return `it changes ${shown} in your hooks directory (core.hooksPath ${hooks.dir.slice(0, -1)}): your git would run it at checkout, merge or commit`;
  if (!hooks.active) return null;
  const managed = hookManagerChange(entry, (sha) => blobText(mirror, sha));
  if (managed === null || typeof managed !== 'string') return managed;
  return `it changes ${shown}${managed}, which your installed git hooks read: your next commit would run the commands it names`;
}

function blobText(mirror: string, sha: string): string | { error: string } {
  if (ZERO.test(sha)) return '';
  const r = git(mirror, ['cat-file', 'blob', sha], { maxBuffer: 8 * 1024 * 1024, timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout : { error: `git cat-file ${sha.slice(0, 10)} failed` };
}

/**
 * One sentence per risky change between `base` (null: the run's whole history) and `head` in
 * `mirror`, or `{ error }`. `userDrivers`: what configuredDrivers says of the user's git;
 * `userAttributes`: the text of the user's own attributes files, whose macros a run may name;
 * `userHooks`: where the user's hooks are and whether any is installed; `userFiles`: the files of
 * the tree the user's git runs or reads as configuration (user-tree-references.ts).
 */
export function checkoutRisks(mirror: string, base: string | null, head: string, userDrivers: ReadonlySet<string>, userAttributes = '', userHooks: UserHooks = NO_USER_HOOKS, userFiles: readonly TreeReference[] = []): string[] | { error: string } {
  const r = git(mirror, ['diff-tree', '-r', '-z', '--no-renames', '--raw', base ?? EMPTY_TREE, head], { maxBuffer: 512 * 1024 * 1024, timeoutMs: 10 * 60_000 });
  if (r.code !== 0) return { error: `git diff-tree failed: ${r.stderr.trim().slice(-300)}` };
  let changes: TreeChange[];
  try {
    changes = parseRawDiffZ(r.stdout);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const risks: string[] = [];
  for (const { path, mode: newMode, sha: newSha, oldMode, oldSha } of changes) {
    const shown = JSON.stringify(path);
    // As a case-insensitive filesystem (macOS's default) names it: git opening `.gitattributes` in
    // the user's working tree there opens a `.GitAttributes` the run committed.
    const named = path.toLowerCase();
    // git before 2.32 follows these when they are links (the mirror's fsck only warns): the check
    // below would read the link's target name, and the user's git the file it names.
    const linked = newMode === '120000' && (basename(named) === '.gitattributes' || ['.mailmap', '.lfsconfig', '.gitmodules'].includes(named));
    const hook = hookRisk({ named, mode: newMode, sha: newSha, oldMode, oldSha }, shown, userHooks, mirror) ?? treeReferenceRisk(named, shown, newMode, userFiles);
    if (hook && typeof hook !== 'string') return hook;
    if (hook) risks.push(hook);
    else if (linked) risks.push(`it makes ${shown} a symbolic link (git before 2.32 reads the file it names as ${basename(named)})`);
    else if (oldMode === '160000' || newMode === '160000') risks.push(`it changes the submodule ${shown} (\`git submodule update\` would fetch content no one reviewed)`);
    else if (named === '.gitmodules') risks.push('it changes .gitmodules (`git submodule update` would fetch from where it says)');
    else if (named === '.mailmap') {
      // git log shows the names .mailmap maps authors to (log.mailmap), as they are.
      const after = blobText(mirror, newSha!);
      if (typeof after !== 'string') return after;
      const char = firstControl(after);
      if (char) risks.push(`its .mailmap holds a terminal control character (${char}), which your git log would print as an author's name`);
    } else if (named === '.lfsconfig' && userDrivers.has('filter=lfs')) risks.push('it changes .lfsconfig (your git-lfs would fetch from where it says at checkout)');
    else if (basename(named) === '.gitattributes') {
      const before = blobText(mirror, oldSha!);
      const after = blobText(mirror, newSha!);
      if (typeof before !== 'string') return before;
      if (typeof after !== 'string') return after;
      // A setting a line of the old file already made is not the run's doing. Macros are defined
      // in the root .gitattributes (a definition elsewhere is counted too: never fewer settings).
      const rootText = (rev: string | null) => (rev ? git(mirror, ['cat-file', 'blob', `${rev}:.gitattributes`], { maxBuffer: 8 * 1024 * 1024, timeoutMs: 60_000 }).stdout : '');
      const macrosBefore = attributeMacros(`${userAttributes}\n${rootText(base)}\n${before}`);
      const macrosAfter = attributeMacros(`${userAttributes}\n${rootText(head)}\n${after}`);
      const had = new Set(before.split('\n').flatMap((l) => driverSettings(l, macrosBefore).map((d) => `${d.pattern} ${d.setting}`)));
      const added = after.split('\n').flatMap((l) => driverSettings(l, macrosAfter).filter((d) => userDrivers.has(d.setting) && !had.has(`${d.pattern} ${d.setting}`)).map((d) => ({ line: l.trim(), d: d.setting })));
      const first = added[0];
      if (first) {
        const when = first.d.startsWith('filter=') ? 'your own git-lfs or filter would run on them at checkout' : first.d.startsWith('diff=') ? 'your own textconv or diff program would run on them at `git log -p`' : 'your own merge driver would run on them at `git merge`';
        risks.push(`it makes ${shown} route files through a program of yours (${first.d} in ${JSON.stringify(first.line.slice(0, 80))}: ${when})`);
      }
    }
  }
  return risks;
}
