/**
 * Terminal control characters in the text of a run's commits, which git prints as they are: `git
 * log` shows a message and the author's and committer's names and emails byte for byte (no pager,
 * or a pager that passes them, and they reach the terminal), so a peer's commit reading
 * `fix\e]52;c;…\a\e[2J\e[Hall tests pass` wrote the user's clipboard and cleared their screen when
 * they reviewed the results branch as peers tells them to. Before the run's commits are published
 * into the user's repository (sandbox/publish-branch.ts), every commit of the run is read from the
 * mirror and one holding such a character is named instead (SECURITY.md, "Results come back as a
 * branch"). The characters are those of control-characters.ts.
 *
 * The loop applies the same rule to every turn's new commits and to the `.mailmap` a turn changes
 * (`commitControl`, `turnMailmapControl`, judged in src/loop/judge-turn.ts): such a turn is undone
 * there, HEAD restored, so one hostile peer's commit cannot keep the whole run from being
 * published; the check at publishing stays as defense in depth.
 */
import { indexedChanges } from './commit-index.ts';
import { controlCharIn, controlWords, firstControl, firstPrintedControl, firstRawPathControl, NOT_UTF8 } from './control-characters.ts';
import { git, gitStream } from './git.ts';

const FIELDS = ['author name', 'author email', 'committer name', 'committer email', 'message'] as const;

export { controlCharIn, controlWords, firstControl, firstPrintedControl, firstRawPathControl, NOT_UTF8 };

export type CommitTextField = (typeof FIELDS)[number];
export type ControlFinding = { sha: string; field: CommitTextField; char: string };

/** What `git log` prints of a commit as it is (src/git/commits.ts reads these with every commit). */
export type CommitText = { message: string; authorName: string; authorEmail: string; committerName: string; committerEmail: string };

/** The first field of `c` (in `git log`'s order) holding a control character, and which one; undefined when none does. */
export function commitControl(c: CommitText): { field: CommitTextField; char: string } | undefined {
  const text: Record<CommitTextField, string> = { 'author name': c.authorName, 'author email': c.authorEmail, 'committer name': c.committerName, 'committer email': c.committerEmail, message: c.message };
  for (const field of FIELDS) {
    const char = firstPrintedControl(text[field]);
    if (char) return { field, char };
  }
  return undefined;
}

/**
 * The first commit of `range` (`base..head`) in `mirror` whose message, names or emails hold a
 * control character (null when none does), or `{ error }` when git cannot list them: the caller
 * publishes nothing then (fail closed).
 */
export function firstCommitWithControls(mirror: string, range: string): ControlFinding | null | { error: string } {
  // -z: records end with NUL, and fields are NUL-separated (fsck refuses a NUL in a commit).
  let found: ControlFinding | null = null;
  let field = 0;
  let sha = '';
  let partial: Buffer[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const token = (bytes: Buffer) => {
    if (found) return;
    if (field === 0) sha = bytes.toString('latin1');
    else {
      const char = firstPrintedControl(decoder.decode(bytes));
      if (char) found = { sha, field: FIELDS[field - 1]!, char };
    }
    field = (field + 1) % (FIELDS.length + 1);
  };
  const r = gitStream(mirror, ['log', '-z', '--no-color', '--format=%H%x00%an%x00%ae%x00%cn%x00%ce%x00%B', range], (chunk) => {
    let at = 0;
    for (let nul = chunk.indexOf(0, at); nul !== -1; nul = chunk.indexOf(0, at)) {
      partial.push(chunk.subarray(at, nul));
      token(Buffer.concat(partial));
      partial = [];
      at = nul + 1;
    }
    if (at < chunk.length) partial.push(Buffer.from(chunk.subarray(at)));
  }, { timeoutMs: 10 * 60_000 });
  if (r.code !== 0) return { error: `git log ${range} failed: ${r.stderr.trim().slice(-300)}` };
  if (partial.length) token(Buffer.concat(partial));
  return found;
}

/**
 * The first control character (`U+001B`) of the `.mailmap` file at `commit` in `repo`: `git log`
 * shows authors by the names it maps them to, as they are. Null when it has none or there is no
 * such file; `{ error }` when it cannot be read (publishing refuses then too: checkout-risks.ts).
 */
export function mailmapControlAt(repo: string, commit: string): string | null | { error: string } {
  let r;
  try {
    r = git(repo, ['cat-file', '--batch'], { input: `${commit}:.mailmap\n`, maxBuffer: 8 * 1024 * 1024, timeoutMs: 60_000 });
  } catch (error) {
    return { error: (error as Error).message.slice(0, 300) };
  }
  if (r.code !== 0) return { error: `git cat-file failed: ${r.stderr.trim().slice(-300)}` };
  const nl = r.stdout.indexOf('\n');
  const header = nl === -1 ? r.stdout : r.stdout.slice(0, nl);
  // "missing": no .mailmap; a tree of that name is no mailmap either (git reads a file).
  if (!/ blob \d+$/.test(header)) return null;
  return firstPrintedControl(r.stdout.slice(nl + 1)) ?? null;
}

/**
 * For a turn whose `commits` (in the mirror `repo`) change `.mailmap`: mailmapControlAt its head
 * (`head`); undefined when none changes it (read from the commit index: no process in an ordinary
 * tick).
 */
export function turnMailmapControl(repo: string, commits: ReadonlyArray<{ sha: string }>, head: string): string | null | { error: string } | undefined {
  const touches = (sha: string) => {
    const entries = indexedChanges(repo, sha);
    // Changes not read: look at the file itself.
    return entries === undefined || entries.split('\0').includes('.mailmap');
  };
  return commits.some((c) => touches(c.sha)) ? mailmapControlAt(repo, head) : undefined;
}

export type PathControl = { sha: string; path: string; char: string };

/**
 * The first commit of `range` (`base..head`) in `mirror` that adds or changes a file whose name
 * git prints with a control character as it is (firstRawPathControl), each commit's names against
 * its first parent (a merge's too), renames as the names they are; null when none, `{ error }` when git cannot list
 * them (the caller holds: publishing refuses, the turn is undone).
 */
export function firstPathWithControls(mirror: string, range: string): PathControl | null | { error: string } {
  let r;
  try {
    // -z: each commit is its id (the format) then its names, NUL-separated, unquoted.
    r = git(mirror, ['log', '-z', '--no-color', '--format=%x01%H', '--name-only', '--no-renames', '--diff-merges=first-parent', range], { maxBuffer: 512 * 1024 * 1024, timeoutMs: 10 * 60_000 });
  } catch (error) {
    return { error: (error as Error).message.slice(0, 300) };
  }
  if (r.code !== 0) return { error: `git log ${range} failed: ${r.stderr.trim().slice(-300)}` };
  // `\x01<id>`, then its names, the first after a newline: `\x01<id>\0\n<name>\0<name>\0\x01<id>…`.
  let sha = '';
  for (const token of r.stdout.split('\0')) {
    if (token.startsWith('\x01')) {
      sha = token.slice(1);
      continue;
    }
    const path = token.startsWith('\n') ? token.slice(1) : token;
    const char = firstRawPathControl(path);
    if (char) return { sha, path, char };
  }
  return null;
}

/**
 * firstPathWithControls for a turn's `commits` (`range` in the mirror `repo`): answered from the
 * commit index where it read every commit's names (no process in an ordinary tick), else by git.
 */
export function turnPathControl(repo: string, commits: ReadonlyArray<{ sha: string }>, range: string): PathControl | null | { error: string } {
  for (const c of commits) {
    const entries = indexedChanges(repo, c.sha);
    if (entries === undefined) return firstPathWithControls(repo, range);
    for (const path of entries.split('\0')) {
      const char = firstRawPathControl(path);
      if (char) return { sha: c.sha, path, char };
    }
  }
  return null;
}
