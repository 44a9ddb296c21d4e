/**
 * The files of the user's work tree that their own git runs or reads as configuration, for the
 * publish check (SECURITY.md, "Results come back as a branch"): a hook installed as a link into the
 * tree (`ln -s ../../scripts/post-checkout .git/hooks/`), a hook that runs a script of the tree, a
 * config file of the tree taken in by `include.path = ../.gitconfig`, a driver's program
 * (`filter.x.smudge = sh tools/smudge.sh`), and what those scripts name in turn. A run that changes
 * one has the user's git run the peers' code at their checkout of the results branch, or at the
 * next `git status`, `log -p` or commit. Which words of a command name a file is a guess, made wide
 * (any word, against every directory git or the script may resolve it from), so the check errs
 * towards holding a run back, never towards publishing it: a file read through a linked folder is
 * named where it leads too, and what cannot be followed (scripts too deep, too many, hooks that cannot
 * be listed or read) holds the run.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { MiB, readTextCapped } from '../fs/safe-read.ts';
import { git, SAFE_GIT_FLAGS } from './git.ts';
import { isRunnableHook, type HooksDir } from './user-hooks.ts';
import type { TreeReference } from './checkout-risks.ts';

/**
 * Keys whose file git only reads as data, never as a program or configuration: the run may change
 * those (`.git-blame-ignore-revs` is a common tracked file a run may rightly extend).
 */
const DATA_FILE_KEYS = new Set(['blame.ignorerevsfile', 'commit.template', 'core.excludesfile']);
/** How far scripts naming scripts are followed, and how much is read: the user's tree, bounded all the same (past either, the run is held). */
const MAX_DEPTH = 3;
const MAX_FILES = 256;
const FILE_LIMIT = 1 * MiB;

/**
 * The words of a command, a script or a path list that may name a file (shell syntax, quotes, `=`
 * and `:` split them; `!` too, which starts a shell alias). A variable is cut off what follows it:
 * `$PWD/tools/bin` leaves `/tools/bin`, read relative too (treePathsOf).
 */
export function pathWords(text: string): string[] {
  return text.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ').split(/[\s'"`;|&()<>$=:,{}\\!]+/).filter((w) => w !== '' && w !== '.' && w !== '..' && !w.startsWith('-') && !w.startsWith('~'));
}

/**
 * The tree paths (relative to `top`, `/`-separated) a word may name, read from each of `bases`.
 * A word glued to an expression (`"$(dirname "$0")/../x"` leaves `/../x`) is read relative too.
 * Each is named as written and where it leads in the user's tree: with `scripts` a link to `tools`,
 * `sh scripts/check.sh` runs `tools/check.sh`, which a run may change.
 */
export function treePathsOf(word: string, bases: readonly string[], top: string): string[] {
  const out = new Set<string>();
  for (const base of bases) {
    for (const p of word.startsWith('/') ? [resolve(base, word), resolve(base, `.${word}`)] : [resolve(base, word)]) {
      for (const place of [p, realPlace(p)]) {
        const rel = treeRelative(place, top);
        if (rel !== undefined) out.add(rel);
      }
    }
  }
  return [...out];
}

/** `path` (absolute) as a path of the tree under `top`, `/`-separated; undefined outside it, at its top or in its `.git`. */
function treeRelative(path: string, top: string): string | undefined {
  const rel = relative(top, path);
  // `.git/…` is the user's git directory, never a path of a tree (git refuses one).
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || /^\.git([/\\]|$)/i.test(rel)) return undefined;
  return rel.split('\\').join('/');
}

/**
 * A text that may name files of the tree: `bare` when a word with neither `/` nor `.` counts (in a
 * script, `sh smudge` runs the tree's file; in a config value, `auto`, `main` or `origin` is a setting).
 */
type Seed = { text: string; bases: string[]; by: string; depth: number; bare: boolean; via: string[] };

/**
 * Every tree path the seeds name, each file of the tree so named read in turn (a hook running
 * `scripts/hook.sh`, which sources `scripts/lib.sh`); `{ error }` when a file to read is more
 * than MAX_DEPTH deep or past MAX_FILES files, as what it names is unknown.
 */
export function referencesFrom(seeds: Seed[], top: string): TreeReference[] | { error: string } {
  const found = new Map<string, TreeReference>();
  const queue = [...seeds];
  const readPlaces = new Set<string>();
  while (queue.length) {
    const seed = queue.shift()!;
    // A comment line (shell, YAML, TOML) names nothing a script runs; a `#!` line names its interpreter.
    const text = seed.text.replace(/^[ \t]*#(?!!).*$/gm, '');
    for (const word of pathWords(text)) {
      if (!seed.bare && !/[/.]/.test(word)) continue;
      for (const rel of treePathsOf(word, seed.bases, top)) {
        const key = rel.toLowerCase();
        if (found.has(key)) continue;
        // A bare word (`test` in `npm test`) names a file, never a folder whose programs a script runs.
        found.set(key, { path: key, by: seed.by, ...(word.includes('/') ? {} : { fileOnly: true }) });
        const file = treeFile(join(top, rel));
        if (file === undefined || readPlaces.has(file.real)) continue;
        const chain = [...seed.via, rel];
        const unfollowed = seed.depth >= MAX_DEPTH ? `more than ${MAX_DEPTH} deep` : readPlaces.size >= MAX_FILES ? `more than ${MAX_FILES} files` : undefined;
        if (unfollowed) return { error: `${seed.by} names files of the tree ${unfollowed} (${chain.join(' → ')}), past what peers follows to find what your git runs; review the run and take it by hand` };
        readPlaces.add(file.real);
        queue.push({ text: file.text, bases: [top, dirname(join(top, rel))], by: seed.by, depth: seed.depth + 1, bare: true, via: chain });
      }
    }
  }
  return [...found.values()];
}

/** A regular file of the user's tree, where it is and its text, or undefined (none, a folder, a FIFO, too large). */
function treeFile(path: string): { real: string; text: string } | undefined {
  try {
    const real = realpathSync(path);
    return { real, text: readTextCapped(real, FILE_LIMIT) };
  } catch {
    return undefined;
  }
}

/** Our own `-c` settings, which git lists as the command line's: not the user's. */
const OWN_SETTINGS = new Set(SAFE_GIT_FLAGS.filter((f) => f !== '-c').map((f) => f.toLowerCase().replace('=', '\n')));

/**
 * The user's configuration as their git reads it in `workDir` (every scope, includes followed), as
 * seeds: each value with the directories a relative path in it may be read from; and each of its
 * files that is a file of the tree.
 */
function configSeeds(workDir: string): { seeds: Seed[]; files: TreeReference[] } | { error: string } {
  const r = git(workDir, ['config', '--list', '--show-origin', '-z'], { timeoutMs: 60_000 });
  if (r.code !== 0) return { error: `git config --list in ${workDir} failed: ${r.stderr.trim().slice(-200)}` };
  const fields = r.stdout.split('\0');
  const seeds: Seed[] = [];
  const files: TreeReference[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const origin = fields[i]!;
    const entry = fields[i + 1]!;
    const nl = entry.indexOf('\n');
    const key = (nl === -1 ? entry : entry.slice(0, nl)).toLowerCase();
    const value = nl === -1 ? '' : entry.slice(nl + 1);
    if (DATA_FILE_KEYS.has(key) || (origin === 'command line:' && OWN_SETTINGS.has(`${key}\n${value.toLowerCase()}`))) continue;
    // A relative include is read from the including file's directory; a program runs at the top of the tree.
    const file = origin.startsWith('file:') ? resolve(workDir, origin.slice('file:'.length)) : undefined;
    seeds.push({ text: value, bases: file ? [workDir, dirname(file)] : [workDir], by: `your git config ${key}`, depth: 0, bare: false, via: [] });
    // The file itself, when it is one of the tree (a dotfiles repository holding ~/.gitconfig).
    const own = file === undefined ? undefined : treeRelative(realPlace(file), workDir);
    if (own !== undefined) files.push({ path: own.toLowerCase(), by: `your git config file ${origin.slice('file:'.length)}` });
  }
  return { seeds, files };
}

/**
 * The user's installed hooks as seeds: a hook that is a link into the tree names its target; a
 * hook's text names what it runs, from the top of the tree (where git runs hooks) or its own
 * directory (`$(dirname "$0")/…`). `{ error }` when the directory cannot be listed or a hook git
 * would run cannot be read (a directory of mode 0711 still runs `pre-commit`): what they run is unknown.
 */
function hookSeeds(hooksDir: string, top: string): { seeds: Seed[]; linked: TreeReference[] } | { error: string } {
  const seeds: Seed[] = [];
  const linked: TreeReference[] = [];
  let names: string[];
  try {
    names = readdirSync(hooksDir);
  } catch (error) {
    // None there, or not a directory (core.hooksPath=/dev/null): git runs no hook from it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { seeds, linked };
    return { error: `peers could not list your hooks directory ${hooksDir} (${code ?? (error as Error).message}), so it cannot tell which files of the tree your hooks run; make it readable to you (\`chmod u+r\`) or point core.hooksPath elsewhere` };
  }
  for (const name of names) {
    if (name.endsWith('.sample')) continue;
    const path = join(hooksDir, name);
    const by = `your ${name} hook`;
    // A link into the tree: its target's content and mode are the run's, there or not yet, executable or not yet.
    const linkedTo = isLink(path) ? treeRelative(realPlace(path), top) : undefined;
    if (linkedTo !== undefined) linked.push({ path: linkedTo.toLowerCase(), by });
    if (!isRunnableHook(hooksDir, name)) continue; // not a hook git can run now
    try {
      const real = realpathSync(path);
      // Run from the top of the tree: a relative word in a hook is read from there, or from its directory.
      seeds.push({ text: readTextCapped(real, FILE_LIMIT), bases: [top, dirname(real), hooksDir], by, depth: 0, bare: true, via: [] });
    } catch (error) {
      return { error: `peers could not read your ${name} hook (${(error as Error).message}), so it cannot tell which files of the tree it runs; make it readable to you` };
    }
  }
  return { seeds, linked };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Where `path` leads, every link on the way followed, though it or folders above it are not there
 * yet (a link to a folder the run may add leads into it all the same).
 */
function realPlace(path: string, hops = 0): string {
  try {
    return realpathSync(path);
  } catch {
    // not there (yet), or a link that leads nowhere yet
  }
  try {
    if (hops < 40 && lstatSync(path).isSymbolicLink()) return realPlace(resolve(dirname(path), readlinkSync(path)), hops + 1);
  } catch {
    // not there: its folder decides where it would be
  }
  const parent = dirname(path);
  return parent === path ? path : join(realPlace(parent, hops), basename(path));
}

/**
 * The files git reads as the user's own configuration and attributes wherever the repository is,
 * there or not yet: in a dotfiles repository (the work tree is HOME) a run that adds
 * `.config/git/config` gives the user's git a configuration of its own.
 */
function defaultUserFiles(env: NodeJS.ProcessEnv, top: string): TreeReference[] {
  const home = env.HOME || undefined;
  const xdg = env.XDG_CONFIG_HOME || (home ? join(home, '.config') : undefined);
  const globals = env.GIT_CONFIG_GLOBAL ? [env.GIT_CONFIG_GLOBAL] : [...(home ? [join(home, '.gitconfig')] : []), ...(xdg ? [join(xdg, 'git', 'config')] : [])];
  const files = [...globals.map((f) => ({ f, by: 'your global git config' })), ...(xdg ? [{ f: join(xdg, 'git', 'attributes'), by: 'your git attributes' }] : [])];
  return files.flatMap(({ f, by }) => {
    const rel = isAbsolute(f) ? treeRelative(realPlace(f), top) : undefined;
    return rel === undefined ? [] : [{ path: rel.toLowerCase(), by: `${by} (${f})` }];
  });
}

/**
 * What of the user's tree their git runs or reads as configuration, for the repository whose hooks
 * are `located` (user-hooks.ts), or `{ error }` (the caller publishes nothing).
 */
export function userTreeReferences(located: HooksDir): TreeReference[] | { error: string } {
  let top: string;
  try {
    top = realpathSync(located.workDir);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const config = configSeeds(top);
  if ('error' in config) return config;
  const fromHooks = hookSeeds(located.dir, top);
  if ('error' in fromHooks) return fromHooks;
  const named = referencesFrom([...config.seeds, ...fromHooks.seeds], top);
  if ('error' in named) return named;
  // The environment the user's git runs with (git.ts keeps it for calls on their repository).
  return [...config.files, ...defaultUserFiles(process.env, top), ...fromHooks.linked, ...named];
}
