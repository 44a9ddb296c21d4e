/**
 * One line of a git `objects/info/alternates` file naming `path`. The file is one path a line, so a
 * path with a line break (a project under `~/a\nb`) was read by git as two relative paths, and
 * `peers verify` there ended in exit 70. git reads a line that starts with `"` as a C-quoted path
 * (object-file.c, link_alt_odb_entries, since git 2.11): such a path, or one that starts with `"`
 * itself, is written so; any other path as it is, as before.
 */
const NEEDS_QUOTING = /[\u0000-\u001f\u007f"\\]/;

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

export function alternatesLine(path: string): string {
  if (!NEEDS_QUOTING.test(path)) return path;
  const body = path.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => ESCAPES[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return `"${body}"`;
}
