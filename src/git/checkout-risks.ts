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
 */
import { basename } from 'node:path';
import { git } from './git.ts';
import { firstControl } from './history-controls.ts';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ZERO = /^0+$/;
/** An attribute line that sets a filter (`filter=x`, also in an `[attr]` macro); `-filter` and `!filter` unset it. */
const SETS_FILTER = /(^|\s)filter=/;

/** The lines of a .gitattributes text that set a filter, trimmed. */
export function filterLines(text: string): Set<string> {
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('#') && SETS_FILTER.test(l)));
}

/** The filter names an attributes line sets (`filter=lfs` → lfs). */
function filterNames(line: string): string[] {
  return [...line.matchAll(/(?:^|\s)filter=(\S+)/g)].map((m) => m[1]!);
}

/** The filters the user's git has a driver for, from `git config --get-regexp '^filter\.'` output (`filter.<name>.<var> value` lines). */
export function configuredFilters(configOutput: string): Set<string> {
  const names = new Set<string>();
  for (const line of configOutput.split('\n')) {
    const key = line.split(/\s/, 1)[0]!;
    const m = /^filter\.(.+)\.(smudge|clean|process)$/i.exec(key);
    if (m) names.add(m[1]!);
  }
  return names;
}

function blobText(mirror: string, sha: string): string | { error: string } {
  if (ZERO.test(sha)) return '';
  const r = git(mirror, ['cat-file', 'blob', sha], { maxBuffer: 8 * 1024 * 1024, timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout : { error: `git cat-file ${sha.slice(0, 10)} failed` };
}

/**
 * One sentence per risky change between `base` (null: the run's whole history) and `head` in
 * `mirror`, or `{ error }`. `userFilters`: the filters the user's git has a driver for.
 */
export function checkoutRisks(mirror: string, base: string | null, head: string, userFilters: ReadonlySet<string>): string[] | { error: string } {
  const r = git(mirror, ['diff-tree', '-r', '-z', '--no-renames', '--raw', base ?? EMPTY_TREE, head], { maxBuffer: 512 * 1024 * 1024, timeoutMs: 10 * 60_000 });
  if (r.code !== 0) return { error: `git diff-tree failed: ${r.stderr.trim().slice(-300)}` };
  const fields = r.stdout.split('\0');
  const risks: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) [A-Z]/.exec(fields[i]!);
    if (!meta) return { error: `git diff-tree printed an unexpected line: ${JSON.stringify(fields[i]!.slice(0, 80))}` };
    const [, oldMode, newMode, oldSha, newSha] = meta;
    const path = fields[i + 1]!;
    const shown = JSON.stringify(path);
    if (oldMode === '160000' || newMode === '160000') risks.push(`it changes the submodule ${shown} (\`git submodule update\` would fetch content no one reviewed)`);
    else if (path === '.gitmodules') risks.push('it changes .gitmodules (`git submodule update` would fetch from where it says)');
    else if (path === '.mailmap') {
      // git log shows the names .mailmap maps authors to (log.mailmap), as they are.
      const after = blobText(mirror, newSha!);
      if (typeof after !== 'string') return after;
      const char = firstControl(after);
      if (char) risks.push(`its .mailmap holds a terminal control character (${char}), which your git log would print as an author's name`);
    } else if (path === '.lfsconfig' && userFilters.has('lfs')) risks.push('it changes .lfsconfig (your git-lfs would fetch from where it says at checkout)');
    else if (basename(path) === '.gitattributes') {
      const before = blobText(mirror, oldSha!);
      const after = blobText(mirror, newSha!);
      if (typeof before !== 'string') return before;
      if (typeof after !== 'string') return after;
      const had = filterLines(before);
      const added = [...filterLines(after)].filter((l) => !had.has(l) && filterNames(l).some((n) => userFilters.has(n)));
      if (added.length) risks.push(`it makes ${shown} route files through a filter (${JSON.stringify(added[0]!.slice(0, 80))}: your own git-lfs or filter would run on them at checkout)`);
    }
  }
  return risks;
}
