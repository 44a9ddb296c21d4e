/**
 * The codemap (codemap.ts) of a commit, read from git objects rather than a working tree: the
 * public symbols the committed source declares, tests and vendored or generated directories left
 * out, as the loop's own codemap does. The mode checks' api-stable compares two of these, the
 * document checks hold CODEMAP.yaml against the one of HEAD, and `peers init` seeds CODEMAP.yaml from it.
 */
import type { CommitFiles } from '../git/commit-files.ts';
import { NOISE_DIRS } from '../git/repo-files.ts';
import { isTestPath } from '../protocol/test-paths.ts';
import { languageOf, parseSource } from './codemap.ts';
import type { CodeSymbol } from './types.ts';

const FILE_LIMIT = 1024 * 1024;

export function isSourcePath(path: string): boolean {
  return languageOf(path) !== undefined && !isTestPath(path) && !path.split('/').some((p) => NOISE_DIRS.has(p));
}

export function codemapAt(repo: CommitFiles, sha: string): CodeSymbol[] {
  const files = repo.tree(sha).filter((e) => e.mode !== '120000' && isSourcePath(e.path));
  const texts = repo.blobs(files.map((f) => f.blob));
  const symbols: CodeSymbol[] = [];
  for (const f of files) {
    const text = texts.get(f.blob);
    if (text === undefined || text.length > FILE_LIMIT) continue;
    symbols.push(...parseSource(languageOf(f.path)!, text, f.path));
  }
  return symbols.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.line - b.line));
}
