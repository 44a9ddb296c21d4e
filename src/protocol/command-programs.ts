/**
 * The words of a shell command that name a program it runs: the command word of each simple
 * command (`./ci/check.sh`, `scripts/acceptance.mjs`), and the script an interpreter is given
 * (`node scripts/acceptance.mjs`, `python3 verify.py`, `sh ci/e2e.sh`, `bash -c "./tools/check"`
 * read as a command of its own). Files given to any other program are what the gate inspects, not
 * what it runs: `test -f notes/claude-1.md` or `node -e "import('./index.js')…"` name the product,
 * and making them gate surface made every honest change to them wait for another peer's approval
 * (SECURITY.md, "What a goal's command names is the gate's surface"). Pure: a small tokenizer for the
 * shapes goal commands take, not a shell; a word it cannot place is simply not a program.
 */

/** Interpreters whose first non-option argument is the script they run. */
const INTERPRETER = /^(node|nodejs|bun|deno|tsx|ts-node|python[\d.]*|pypy[\d.]*|ruby|perl|php|sh|bash|zsh|dash|ksh|fish)$/;
/** Shells, whose `-c` argument is a command. */
const SHELL = /^(sh|bash|zsh|dash|ksh|fish)$/;
/** Options after which an interpreter runs inline code or a module, never a script file. */
const INLINE = new Set(['-e', '-p', '-pe', '--eval', '--print', '-c', '-m']);
/** Words before the command word that only wrap it. */
const WRAPPERS = new Set(['!', 'exec', 'command', 'time', 'nice', 'env', 'timeout', 'nohup', 'xvfb-run']);
/** What deno and bun take before the script (`bun run x.ts`, `deno run x.ts`). */
const SUBCOMMANDS = new Set(['run']);
const OPERATORS = new Set([';', '&&', '||', '|', '&', '(', ')', '\n']);

/** Words and operators of a command line, quotes removed; `2>&1` and other redirections are dropped. */
export function shellTokens(cmd: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  const end = () => {
    if (word !== null && !/^\d*[<>]/.test(word)) out.push(word);
    word = null;
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "'" || c === '"') {
      const close = c === "'" ? cmd.indexOf("'", i + 1) : closingDoubleQuote(cmd, i + 1);
      const body = cmd.slice(i + 1, close < 0 ? cmd.length : close);
      word = (word ?? '') + (c === '"' ? body.replace(/\\(["\\$`])/g, '$1') : body);
      i = close < 0 ? cmd.length : close;
    } else if (c === '\\' && i + 1 < cmd.length) {
      word = (word ?? '') + cmd[++i];
    } else if ((c === '>' || c === '<') && word !== null && !/^\d+$/.test(word) && !/[<>]$/.test(word)) {
      // `ls>/dev/null`: the redirection starts a word of its own (dropped at its end).
      end();
      word = c;
    } else if (c === ' ' || c === '\t') {
      end();
    } else if (c === '\n' || c === ';' || c === '(' || c === ')') {
      end();
      out.push(c);
    } else if ((c === '&' || c === '|') && !(c === '&' && word !== null && /[<>]$/.test(word))) {
      end();
      if (cmd[i + 1] === c) {
        out.push(c + c);
        i++;
      } else out.push(c);
    } else word = (word ?? '') + c;
  }
  end();
  return out;
}

function closingDoubleQuote(cmd: string, from: number): number {
  for (let i = from; i < cmd.length; i++) {
    if (cmd[i] === '\\') i++;
    else if (cmd[i] === '"') return i;
  }
  return -1;
}

/** The words of `cmd` that name a program it runs (see the file's comment), in order. */
export function programWords(cmd: string, depth = 0): string[] {
  const out: string[] = [];
  let simple: string[] = [];
  const flush = () => {
    out.push(...programsOf(simple, depth));
    simple = [];
  };
  for (const t of shellTokens(cmd)) {
    if (OPERATORS.has(t)) flush();
    else simple.push(t);
  }
  flush();
  return out;
}

function programsOf(words: string[], depth: number): string[] {
  let i = 0;
  // Assignments, wrappers and their options or numbers (`timeout 30`, `nice -n 19`, `env -i`).
  while (i < words.length && (/^[A-Za-z_]\w*=/.test(words[i]!) || WRAPPERS.has(words[i]!) || (i > 0 && WRAPPERS.has(words[i - 1]!) && /^(-|\d)/.test(words[i]!)) || (i > 0 && /^-/.test(words[i - 1]!) && /^\d+$/.test(words[i]!)))) i++;
  const command = words[i];
  if (command === undefined) return [];
  const out = [command];
  const name = command.slice(command.lastIndexOf('/') + 1);
  if (!INTERPRETER.test(name)) return out;
  for (let j = i + 1; j < words.length; j++) {
    const w = words[j]!;
    if (SHELL.test(name) && w === '-c') {
      if (depth < 3 && words[j + 1] !== undefined) out.push(...programWords(words[j + 1]!, depth + 1));
      return out;
    }
    if (INLINE.has(w)) return out;
    if (w.startsWith('-')) continue;
    if (j === i + 1 && SUBCOMMANDS.has(w) && /^(bun|deno)$/.test(name)) continue;
    out.push(w);
    return out;
  }
  return out;
}
