/**
 * git's config file format, parsed as data: sections (`[core]`, `[filter "x"]`, the old
 * `[branch.main]`), variables with or without a value, quotes, escapes, line continuations and
 * comments, as git's own config reader treats them. The loop reads the run clone's `.git/config`
 * with this instead of running git there (docs/ARCHITECTURE.md, "The trusted observer"): nothing
 * the file says is followed (no `include.path`), it is only listed.
 */

export type ConfigEntry = {
  /** `section.name` or `section.subsection.name`: section and name lower-cased, subsection as written. */
  key: string;
  /** null for a variable written without `=` (git reads it as true). */
  value: string | null;
};

export class ConfigParseError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'ConfigParseError';
  }
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const isAlpha = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
const isKeyChar = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9-]$/.test(c);
const isSectionChar = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9.-]$/.test(c);

/** Every variable of the file, in order. Throws ConfigParseError where git would refuse the file. */
export function parseGitConfig(text: string): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  let i = 0;
  let line = 1;
  let section: string | null = null;
  const peek = () => text[i];
  const next = () => {
    const c = text[i++];
    if (c === '\n') line++;
    return c;
  };
  const skipComment = () => {
    while (i < text.length && text[i] !== '\n') i++;
  };

  const readSection = (): string => {
    // After '['.
    let name = '';
    while (isSectionChar(peek())) name += next()!.toLowerCase();
    if (!name) throw new ConfigParseError(line, 'empty section name');
    if (peek() === ']') {
      next();
      // `[branch.Main]`: the old syntax, whose subsection git lower-cases too.
      return name;
    }
    if (!isSpace(peek())) throw new ConfigParseError(line, 'bad section header');
    while (isSpace(peek())) next();
    if (next() !== '"') throw new ConfigParseError(line, 'bad section header');
    let sub = '';
    for (;;) {
      const c = next();
      if (c === undefined || c === '\n') throw new ConfigParseError(line, 'unterminated subsection');
      if (c === '"') break;
      if (c === '\\') {
        const e = next();
        if (e === undefined || e === '\n') throw new ConfigParseError(line, 'unterminated subsection');
        sub += e;
        continue;
      }
      sub += c;
    }
    if (next() !== ']') throw new ConfigParseError(line, 'bad section header');
    return `${name}.${sub}`;
  };

  const readValue = (): string => {
    // After '=', as git's parse_value: blanks before the value are dropped, a run of blanks
    // outside quotes becomes that many spaces, trailing blanks and comments are dropped.
    let value = '';
    let quoted = false;
    let spaces = 0;
    for (;;) {
      const c = peek();
      if (c === undefined || c === '\n') {
        if (quoted) throw new ConfigParseError(line, 'unterminated quote');
        return value;
      }
      next();
      if (!quoted && isSpace(c)) {
        if (value) spaces++;
        continue;
      }
      if (!quoted && (c === '#' || c === ';')) {
        skipComment();
        return value;
      }
      value += ' '.repeat(spaces);
      spaces = 0;
      if (c === '\\') {
        const e = next();
        if (e === '\n') continue; // a continuation line
        const esc: Record<string, string> = { n: '\n', t: '\t', b: '\b', '\\': '\\', '"': '"' };
        if (e === undefined || esc[e] === undefined) throw new ConfigParseError(line, 'bad escape in a value');
        value += esc[e];
        continue;
      }
      if (c === '"') {
        quoted = !quoted;
        continue;
      }
      value += c;
    }
  };

  // A UTF-8 byte order mark is skipped, and CRLF read as LF, as git does.
  text = text.replace(/\r\n/g, '\n');
  if (text.startsWith('\uFEFF')) i = 1;
  while (i < text.length) {
    const c = next()!;
    if (c === '\n' || isSpace(c)) continue;
    if (c === '#' || c === ';') {
      skipComment();
      continue;
    }
    if (c === '[') {
      section = readSection();
      continue;
    }
    if (!isAlpha(c)) throw new ConfigParseError(line, `unexpected ${JSON.stringify(c)}`);
    if (section === null) throw new ConfigParseError(line, 'a variable outside any section');
    let name = c.toLowerCase();
    while (isKeyChar(peek())) name += next()!.toLowerCase();
    while (isSpace(peek())) next();
    const key = `${section}.${name}`;
    const d = peek();
    if (d === undefined || d === '\n') {
      out.push({ key, value: null });
      continue;
    }
    if (d !== '=') throw new ConfigParseError(line, `bad variable ${key}`);
    next();
    out.push({ key, value: readValue() });
  }
  return out;
}
