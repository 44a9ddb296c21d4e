/**
 * Reading and writing a CLI's credentials file without changing anything but the tokens.
 *
 * The user's CLI owns this file, so a write-back keeps its key order (we edit the parsed object in
 * place), its indentation, its trailing newline and its permissions, and is atomic (temp file and
 * rename beside it; the directory, not the single file, must be mounted, since a rename cannot
 * replace a bind-mounted file). A write that fails leaves the old file untouched.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';

export type TokenDocument = {
  doc: Record<string, unknown>;
  indent: string | number | undefined;
  trailingNewline: boolean;
  mode: number;
};

/** A CLI's credentials file is a few KiB; anything else at that path is a mistake, and a FIFO would block. */
const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

export function readTokenFile(path: string): TokenDocument {
  // stat follows a symlink on purpose: users may keep their CLI login in a dotfile-managed link.
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`${path}: not a regular file`);
  if (st.size > MAX_TOKEN_FILE_BYTES) throw new Error(`${path}: larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path}: expected a JSON object`);
  const m = /^\{\r?\n([ \t]+)"/.exec(text);
  return { doc: doc as Record<string, unknown>, indent: m ? m[1] : undefined, trailingNewline: text.endsWith('\n'), mode: statSync(path).mode & 0o777 };
}

export function writeTokenFile(path: string, file: TokenDocument): void {
  const text = JSON.stringify(file.doc, null, file.indent) + (file.trailingNewline ? '\n' : '');
  writeFileAtomic(path, text, file.mode);
}
