/**
 * `json(path)` for pass_when: reads a JSON file the gate command produced inside the checkout. The
 * path must stay inside the checkout without any symlink on the way, because the checkout's content
 * is written by peers and a symlink to /etc or /dev/zero must not become a gate input.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { MiB, readFileCapped } from '../fs/safe-read.ts';

export const JSON_FILE_LIMIT = 2 * MiB;

export class JsonFileError extends Error {}

export function readJsonUnder(root: string, relPath: string): unknown {
  if (relPath === '') throw new JsonFileError('json(): empty path');
  if (relPath.startsWith('/')) throw new JsonFileError(`json(): path must be relative to the repository: '${relPath}'`);
  const parts = relPath.split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') {
      throw new JsonFileError(`json(): path components may not be empty, '.' or '..': '${relPath}'`);
    }
  }
  let current = realpathSync(root);
  parts.forEach((part, i) => {
    current = join(current, part);
    let st;
    try {
      st = lstatSync(current);
    } catch {
      throw new JsonFileError(`json(): no such file: '${relPath}'`);
    }
    if (st.isSymbolicLink()) throw new JsonFileError(`json(): '${parts.slice(0, i + 1).join('/')}' is a symlink; symlinks are not followed`);
    const last = i === parts.length - 1;
    if (!last && !st.isDirectory()) throw new JsonFileError(`json(): '${parts.slice(0, i + 1).join('/')}' is not a directory`);
    if (last && !st.isFile()) throw new JsonFileError(`json(): '${relPath}' is not a regular file`);
  });
  let bytes: Buffer;
  try {
    bytes = readFileCapped(current, JSON_FILE_LIMIT);
  } catch (error) {
    throw new JsonFileError(`json(): cannot read '${relPath}': ${(error as Error).message}`);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new JsonFileError(`json(): '${relPath}' is not valid JSON: ${(error as Error).message}`);
  }
}
