/**
 * The files of the tree that a hook manager's installed hook reads when it fires, to learn what to
 * run: with any hook installed in the user's repository, a run that changes one has the user's
 * next commit (or checkout) run commands no one reviewed on their host (SECURITY.md, "Results come
 * back as a branch"; the publish check is checkout-risks.ts). pre-commit, lefthook and overcommit
 * read a file at the tree's root. The npm hook managers read theirs from the package's directory,
 * and lint-staged from the directory of each staged file, so those count wherever they are:
 * husky 4 (`"husky"` in package.json, `.huskyrc*`), yorkie (`"gitHooks"`), simple-git-hooks,
 * lint-staged and nano-staged (a key of package.json or a file of their own, also under `.config/`
 * as cosmiconfig looks there), ghooks (`config.ghooks`), pre-commit/pre-push for npm
 * (`"pre-commit"`, `"precommit"`, …) and husky before 1.0 (a script named after a hook,
 * `scripts.precommit`). Only those keys of package.json count: a version bump changes none.
 */
import { basename, dirname } from 'node:path';

/** Read at the tree's root only (lower case, as the caller's names are). */
const ROOT_FILES = new Set(['.pre-commit-config.yaml', '.pre-commit-config.yml', '.overcommit.yml', ...['lefthook', '.lefthook', 'lefthook-local', '.lefthook-local'].flatMap((n) => ['yml', 'yaml', 'json', 'toml'].map((e) => `${n}.${e}`))]);

const SCRIPT_EXTS = ['js', 'cjs', 'mjs', 'ts', 'cts', 'mts'];
/** Read from any directory of the tree (lower case). */
const PACKAGE_FILES = new Set([
  ...['', '.json', '.yaml', '.yml', ...SCRIPT_EXTS.map((e) => `.${e}`)].flatMap((e) => [`.huskyrc${e}`, `.lintstagedrc${e}`, `.nanostagedrc${e}`]),
  ...SCRIPT_EXTS.flatMap((e) => [`husky.config.${e}`, `lint-staged.config.${e}`, `nano-staged.config.${e}`]),
  ...['json', ...SCRIPT_EXTS].flatMap((e) => [`.simple-git-hooks.${e}`, `simple-git-hooks.${e}`, `.nano-staged.${e}`, `nano-staged.${e}`]),
]);

/** The git hooks a user's commit, checkout, merge, rebase or push runs, as husky before 1.0 named its scripts (no dashes). */
const CLIENT_HOOKS = ['applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'post-rewrite', 'pre-auto-gc', 'push-to-checkout', 'sendemail-validate'];
/** The package.json settings a hook manager's hook reads, as paths of keys. */
const PACKAGE_JSON_KEYS: string[][] = [
  ...['husky', 'gitHooks', 'simple-git-hooks', 'lint-staged', 'nano-staged', 'ghooks', 'pre-commit', 'precommit', 'pre-push', 'prepush', 'git-hooks'].map((k) => [k]),
  ['config', 'ghooks'],
  ...CLIENT_HOOKS.map((h) => ['scripts', h.replaceAll('-', '')]),
];

const ZERO = /^0+$/;
const LINK = '120000';

/** One side of a change to package.json: its settings above, or why they cannot be read. */
function hookSettings(text: string): Map<string, string> | { unparsable: string } {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { unparsable: (error as Error).message };
  }
  const settings = new Map<string, string>();
  for (const path of PACKAGE_JSON_KEYS) {
    let v: unknown = json;
    for (const k of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
    if (v !== undefined) settings.set(path.join('.'), JSON.stringify(v));
  }
  return settings;
}

/** One changed entry as the check reads it: its lower-cased path and its old and new mode and blob. */
export type ChangedEntry = { named: string; oldMode?: string; oldSha?: string; mode: string; sha: string };

/**
 * How a change alters what an installed hook manager runs: null when it does not, else a phrase
 * for the note ('' for a configuration file, which counts whole; ` (its "husky" setting)` for
 * package.json), or `{ error }` when a blob cannot be read. `blob` reads one from the run's mirror.
 */
export function hookManagerChange(entry: ChangedEntry, blob: (sha: string) => string | { error: string }): string | null | { error: string } {
  const { named } = entry;
  const name = basename(named);
  const inConfigDir = basename(dirname(named)) === '.config' && PACKAGE_FILES.has(`.${name}`);
  if (ROOT_FILES.has(named) || named.startsWith('.husky/') || PACKAGE_FILES.has(name) || inConfigDir) return '';
  if (name !== 'package.json') return null;
  // A link's text is the name of the file node would read in its place.
  if (entry.mode === LINK || entry.oldMode === LINK) return ' (a symbolic link, which node follows)';
  const side = (sha: string | undefined, mode: string | undefined): Map<string, string> | { unparsable: string } | { error: string } => {
    // Absent on that side (added, deleted, or a submodule's commit, which the caller names itself).
    if (sha === undefined || ZERO.test(sha) || mode?.startsWith('160')) return new Map();
    const text = blob(sha);
    return typeof text === 'string' ? hookSettings(text) : text;
  };
  const before = side(entry.oldSha, entry.oldMode);
  const after = side(entry.sha, entry.mode);
  if ('error' in before) return before;
  if ('error' in after) return after;
  // Fail closed: settings that cannot be read cannot be shown unchanged.
  if ('unparsable' in before || 'unparsable' in after) return ` (it does not parse as JSON: ${(('unparsable' in after ? after : before) as { unparsable: string }).unparsable.slice(0, 100)}; no one can say it leaves your hook managers' settings as they were)`;
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  return changed.length ? ` (its ${changed.map((k) => JSON.stringify(k)).join(', ')} setting${changed.length > 1 ? 's' : ''})` : null;
}
