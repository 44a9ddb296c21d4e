/**
 * The files of a commit read from git objects, not from a working tree: its tree's entries and the
 * texts of their blobs, in two git processes whatever the number of files. The mode checks read a
 * commit this way (modes/checks/check-repo.ts), and so does `peers init` when it seeds a code map
 * (src/mode-registry/mode-install.ts, src/codemap/codemap-at.ts).
 */
import { gitBytes, gitOk } from './git.ts';

export type TreeEntry = { path: string; mode: string; blob: string };

/** What reads a commit's files: a repository (commitFiles) or a check's view of one. */
export type CommitFiles = {
  /** Every file of a commit's tree (regular files, symlinks; submodules left out). */
  tree(sha: string): TreeEntry[];
  /** Texts of blobs, keyed by blob id, read in one git process. */
  blobs(ids: string[]): Map<string, string>;
};

const MAX_BUFFER = 256 * 1024 * 1024;

export function commitTree(dir: string, sha: string): TreeEntry[] {
  const out = gitOk(dir, ['ls-tree', '-r', '-z', '--full-tree', sha], { maxBuffer: MAX_BUFFER });
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    const m = /^(\d{6}) (\w+) ([0-9a-f]+)\t([\s\S]+)$/.exec(rec);
    if (m && m[2] === 'blob') entries.push({ mode: m[1]!, blob: m[3]!, path: m[4]! });
  }
  return entries;
}

/**
 * `git cat-file --batch` over object ids: `<id> blob <size>\n<bytes>\n` per object. Sizes count
 * bytes, so the reply is read as bytes and each blob cut out on its own; a missing id is left out.
 */
export function blobBytes(dir: string, ids: string[]): Map<string, Buffer> {
  const wanted = [...new Set(ids)];
  const out = new Map<string, Buffer>();
  if (wanted.length === 0) return out;
  const buf = gitBytes(dir, ['cat-file', '--batch'], { input: `${wanted.join('\n')}\n`, maxBuffer: MAX_BUFFER });
  let at = 0;
  for (const id of wanted) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = buf.subarray(at, nl).toString('utf8').split(' ');
    if (header[1] === 'missing') {
      at = nl + 1;
      continue;
    }
    const size = Number(header[2]);
    if (!Number.isFinite(size)) break;
    out.set(id, Buffer.from(buf.subarray(nl + 1, nl + 1 + size)));
    at = nl + 1 + size + 1;
  }
  return out;
}

/** The blobs' texts (UTF-8; an invalid byte becomes U+FFFD). */
export function blobTexts(dir: string, ids: string[]): Map<string, string> {
  const decode = new TextDecoder('utf-8', { fatal: false });
  const out = new Map<string, string>();
  for (const [id, bytes] of blobBytes(dir, ids)) out.set(id, decode.decode(bytes));
  return out;
}

export function commitFiles(dir: string): CommitFiles {
  return { tree: (sha) => commitTree(dir, sha), blobs: (ids) => blobTexts(dir, ids) };
}
