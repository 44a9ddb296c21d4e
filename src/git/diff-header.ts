/**
 * File names as `git diff` prints them in its headers, read back exactly. git quotes a name that
 * has a double quote, a backslash, a control character or (by default) any byte above 0x7f:
 * `+++ "b/tests/caf\303\251_test.py"`, and ends a `---`/`+++` name that contains a space with a
 * tab. A reader that takes those lines literally gets a name with a quote or a tab in it, so
 * a file named that way by a peer is read as something else: a test file whose new skip marker is
 * never seen, a document counted as source. Every diff reader in peers takes names from here.
 */

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** A C-quoted name (`"…"`, escapes and octal bytes) as the bytes it stands for, decoded as UTF-8; an unquoted one as it is. */
export function unquoteGitPath(text: string): string {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return text;
  const bytes: number[] = [];
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      // A whole code point: a character outside the BMP (core.quotePath=false leaves it unescaped) is two code units.
      const char = String.fromCodePoint(body.codePointAt(i) as number);
      for (const b of Buffer.from(char, 'utf8')) bytes.push(b);
      i += char.length - 1;
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-3][0-7]{2}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else if (next in ESCAPES) {
      bytes.push(ESCAPES[next] as number);
      i += 1;
    } else {
      bytes.push(92); // a lone backslash git would not write: kept as it is
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Reads one name (quoted or not) at the start of `text`; returns it and what follows. */
function takeQuoted(text: string): { name: string; rest: string } | undefined {
  if (!text.startsWith('"')) return undefined;
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return { name: unquoteGitPath(text.slice(0, i + 1)), rest: text.slice(i + 1) };
  }
  return undefined;
}

const dropPrefix = (name: string, prefix: 'a/' | 'b/') => (name.startsWith(prefix) ? name.slice(prefix.length) : name);

/**
 * The two names of a `diff --git a/X b/Y` line (without their a/ and b/). An unquoted pair with a
 * space in it cannot always be split; where both halves name the same file (no rename: the common
 * case) that split wins, else the last ` b/`. The `---`/`+++` and `rename` lines say it exactly.
 */
export function diffGitNames(line: string): { from: string; to: string } | undefined {
  if (!line.startsWith('diff --git ')) return undefined;
  const rest = line.slice('diff --git '.length);
  const first = takeQuoted(rest);
  if (first) {
    const after = first.rest.replace(/^ /, '');
    const second = takeQuoted(after);
    return { from: dropPrefix(first.name, 'a/'), to: dropPrefix(second ? second.name : after, 'b/') };
  }
  const quotedSecond = / ("b\/.*")$/.exec(rest);
  if (quotedSecond) return { from: dropPrefix(rest.slice(0, quotedSecond.index), 'a/'), to: dropPrefix(unquoteGitPath(quotedSecond[1] as string), 'b/') };
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ' && rest.startsWith('a/') && rest.slice(half + 1).startsWith('b/') && rest.slice(2, half) === rest.slice(half + 3)) {
    return { from: rest.slice(2, half), to: rest.slice(half + 3) };
  }
  const cut = rest.lastIndexOf(' b/');
  if (!rest.startsWith('a/') || cut < 0) return undefined;
  return { from: rest.slice(2, cut), to: rest.slice(cut + 3) };
}

/** The name on a `--- a/X` or `+++ b/X` line; undefined for /dev/null (an added or deleted file). */
export function patchLineName(line: string): string | undefined {
  const marker = line.slice(0, 4);
  if (marker !== '--- ' && marker !== '+++ ') return undefined;
  let text = line.slice(4);
  if (text === '/dev/null') return undefined;
  // git appends a tab to a name with a space in it (quoted or not); a tab in a name is always
  // written quoted as \t, so a literal tab at the end is never part of the name.
  if (text.endsWith('\t')) text = text.slice(0, -1);
  return dropPrefix(unquoteGitPath(text), marker === '--- ' ? 'a/' : 'b/');
}

/** The name on a `rename from X`, `rename to X`, `copy from X` or `copy to X` line (no a/ or b/ there). */
export function renameLineName(line: string, key: 'rename from ' | 'rename to ' | 'copy from ' | 'copy to '): string | undefined {
  return line.startsWith(key) ? unquoteGitPath(line.slice(key.length)) : undefined;
}

/**
 * The `git diff` flags every reader of this module passes: plain text (no colour), no external
 * diff or textconv driver rewriting what is read, every file as text (`--text`: one NUL byte in a
 * comment, or a `-diff` attribute, would otherwise turn a source file's change into "Binary files
 * differ", hiding a special case or a skip marker from every reader), and the a/ b/ prefixes this
 * module strips, whatever `diff.noprefix` or `diff.mnemonicPrefix` a repository's config sets.
 */
export const READABLE_DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '--text', '--src-prefix=a/', '--dst-prefix=b/'];
