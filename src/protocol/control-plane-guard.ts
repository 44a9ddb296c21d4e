/**
 * The control plane (`.peers/`: goals, config, checks) belongs to the operator. The loop enforces
 * the snapshot it took at `up`, never the live files, so a peer editing them changes nothing; this
 * module finds such edits so the loop can record them in runs.jsonl, warn in the next prompt and
 * count them in the report.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UnsafePathError, writeFileAtomic } from '../fs/atomic-write.ts';
import { listDirBeneath, readFileBeneath } from '../fs/read-beneath.ts';
import { MiB, readFileCapped } from '../fs/safe-read.ts';
import { git } from '../git/git.ts';
import { diffGitNames, patchLineName, renameLineName } from '../git/diff-header.ts';

export type ControlPlaneChange = 'modified' | 'deleted' | 'added' | 'not-a-regular-file';
export type ControlPlaneEdit = { path: string; change: ControlPlaneChange };

const CONTROL_DIR = '.peers';
const FILE_LIMIT = 8 * MiB;
/** Live paths outside the snapshot that still matter: new checks or goal files. */
const WATCHED = [/^goals\.ya?ml$/, /^config\.ya?ml$/, /^VERIFY\.md$/, /^checks\//, /^contracts\.log$/];

/** The files under the loop's own snapshot directory (no peer writes there). */
function listFiles(root: string, rel = ''): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, p));
    else out.push(p);
  }
  return out.sort();
}

/**
 * The files under the peers' live `.peers/`, listed beneath the working tree (read-beneath.ts): a
 * `.peers` or `.peers/checks` that is (or is swapped for) a symlink is not listed through, and
 * shows as the entry itself, never as the files of wherever it points.
 */
function listLiveFiles(repoDir: string, rel = CONTROL_DIR): string[] {
  let entries;
  try {
    entries = listDirBeneath(repoDir, rel);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...listLiveFiles(repoDir, p));
    else out.push(p.slice(CONTROL_DIR.length + 1));
  }
  return out.sort();
}

/** sha256 of a file of the loop's snapshot, undefined when absent. */
function fileDigest(path: string): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return st.isSymbolicLink() ? 'symlink' : 'other';
  try {
    return createHash('sha256').update(readFileCapped(path, FILE_LIMIT)).digest('hex');
  } catch {
    return 'unreadable';
  }
}

/**
 * sha256 of `.peers/<rel>` in the peers' tree, read beneath it (no directory on the path a
 * symlink, the leaf no-follow and non-blocking): 'other' for anything but a regular file reached so
 * (a FIFO, a symlink anywhere on the path), undefined when absent.
 */
function liveDigest(repoDir: string, rel: string): string | undefined {
  try {
    return createHash('sha256').update(readFileBeneath(repoDir, `${CONTROL_DIR}/${rel}`, FILE_LIMIT)).digest('hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    return error instanceof UnsafePathError ? 'other' : 'unreadable';
  }
}

/** The bytes of a live control-plane file, read beneath the tree; undefined when it is not a regular file reached so. */
export function readLiveControlFile(repoDir: string, path: string): Buffer | undefined {
  try {
    return readFileBeneath(repoDir, path, FILE_LIMIT);
  } catch {
    return undefined;
  }
}

/** Copies `<repo>/.peers/{config.yaml,goals.yaml,VERIFY.md,checks/**}` into `snapshotDir`. */
export function takeControlPlaneSnapshot(repoDir: string, snapshotDir: string): string[] {
  const taken: string[] = [];
  for (const rel of listLiveFiles(repoDir)) {
    if (!WATCHED.some((re) => re.test(rel))) continue;
    let bytes: Buffer;
    try {
      bytes = readFileBeneath(repoDir, `${CONTROL_DIR}/${rel}`, FILE_LIMIT);
    } catch (error) {
      // Not a regular file reached through directories (a symlink, a FIFO): never taken.
      if (error instanceof UnsafePathError) continue;
      throw error;
    }
    const dest = join(snapshotDir, rel);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileAtomic(dest, bytes, 0o600);
    taken.push(rel);
  }
  return taken;
}

/** Every difference between the live `.peers/` files and the loop's snapshot. */
export function detectControlPlaneEdits(repoDir: string, snapshotDir: string): ControlPlaneEdit[] {
  const edits: ControlPlaneEdit[] = [];
  const snapFiles = listFiles(snapshotDir);
  for (const rel of snapFiles) {
    const want = fileDigest(join(snapshotDir, rel));
    const have = liveDigest(repoDir, rel);
    const path = `${CONTROL_DIR}/${rel}`;
    if (have === undefined) edits.push({ path, change: 'deleted' });
    else if (have === 'symlink' || have === 'other') edits.push({ path, change: 'not-a-regular-file' });
    else if (have !== want) edits.push({ path, change: 'modified' });
  }
  const known = new Set(snapFiles);
  for (const rel of listLiveFiles(repoDir)) {
    // `checks` itself listed as a file: a symlink (or a FIFO) where the checks directory belongs.
    if (!known.has(rel) && (rel === 'checks' || WATCHED.some((re) => re.test(rel)))) edits.push({ path: `${CONTROL_DIR}/${rel}`, change: rel === 'checks' ? 'not-a-regular-file' : 'added' });
  }
  return edits;
}

/** `.peers/` paths a range of commits touched (a peer can commit there even if the dir is masked). */
export function controlPlaneEditsInRange(repo: string, before: string, after = 'HEAD'): ControlPlaneEdit[] {
  // -z: names exactly as they are (unquoted, any byte), status and name NUL-separated.
  const res = git(repo, ['diff', '--name-status', '-z', '--no-renames', `${before}..${after}`, '--', CONTROL_DIR]);
  if (res.code !== 0) return [];
  const change = (s: string): ControlPlaneChange => (s === 'A' ? 'added' : s === 'D' ? 'deleted' : 'modified');
  const fields = res.stdout.split('\0');
  const edits: ControlPlaneEdit[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const status = /^[A-Z]/.exec(fields[i] as string)?.[0];
    if (status) edits.push({ path: fields[i + 1] as string, change: change(status) });
  }
  return edits;
}

/**
 * The same answer as controlPlaneEditsInRange, read from the headers of a whole-tree
 * `git diff -M` of the range that another reader streams anyway (the skip-marker scan), so the
 * turn needs no git call of its own for it. Fed every line of the diff; `edits()` when it ended.
 * A rename is a deletion of its old name and an addition of its new one, and a path both deleted
 * and added (a type change, which the patch prints as two entries) is modified: what
 * `--name-status --no-renames` says.
 */
export function controlPlaneDiffReader(): { line(raw: string): void; edits(): ControlPlaneEdit[] } {
  const found = new Map<string, ControlPlaneChange>();
  const inControl = (p: string) => p === CONTROL_DIR || p.startsWith(`${CONTROL_DIR}/`);
  const note = (path: string | undefined, change: ControlPlaneChange) => {
    if (path === undefined || !inControl(path)) return;
    const had = found.get(path);
    found.set(path, had === undefined || had === change ? change : 'modified');
  };
  type Section = { from: string; to: string; added: boolean; deleted: boolean; renamed: boolean };
  let s: Section | null = null;
  // Header lines come between `diff --git` and the first `@@`; after it, `+++ x` is an added line.
  let inHeader = false;
  const close = () => {
    if (!s) return;
    if (s.renamed) {
      note(s.from, 'deleted');
      note(s.to, 'added');
    } else note(s.added ? s.to : s.from, s.added ? 'added' : s.deleted ? 'deleted' : 'modified');
    s = null;
  };
  return {
    line(raw: string) {
      if (raw.startsWith('diff --git ')) {
        close();
        const names = diffGitNames(raw);
        s = { from: names?.from ?? '', to: names?.to ?? '', added: false, deleted: false, renamed: false };
        inHeader = true;
        return;
      }
      if (!s || !inHeader) return;
      const cur: Section = s;
      if (raw.startsWith('@@')) inHeader = false;
      else if (raw.startsWith('new file mode')) cur.added = true;
      else if (raw.startsWith('deleted file mode')) cur.deleted = true;
      else if (raw.startsWith('rename from ')) {
        cur.renamed = true;
        cur.from = renameLineName(raw, 'rename from ') ?? cur.from;
      } else if (raw.startsWith('rename to ')) cur.to = renameLineName(raw, 'rename to ') ?? cur.to;
      // The `---`/`+++` names are exact where the `diff --git` line of a name with spaces is not.
      else if (raw.startsWith('--- ')) cur.from = patchLineName(raw) ?? cur.from;
      else if (raw.startsWith('+++ ')) cur.to = patchLineName(raw) ?? cur.to;
    },
    edits() {
      close();
      return [...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, change]) => ({ path, change }));
    },
  };
}

export function formatControlPlaneEdits(edits: ControlPlaneEdit[]): string {
  return `control-plane edit detected (${edits.map((e) => `${e.path} ${e.change}`).join(', ')}): the loop enforces its own snapshot, so these edits change nothing; leave .peers/ to the operator.`;
}

