/**
 * Recursive-descent parser for `pass_when`. The grammar is a subset of Python
 * expressions (what the earlier Python peers accepted), with two deliberate widenings, both harmless because the
 * evaluator is our own and reaches nothing but the gate's result and json files in the checkout:
 *   - chained method calls (`stdout.strip().endswith('ok')`) are allowed; rejecting them
 *     would be an artefact of an AST whitelist, not a safety property;
 *   - a '-' directly before a number literal makes a negative literal (`exit_code == -15` for a
 *     SIGTERM death); there is still no subtraction operator.
 * And one narrowing: there is no `cwd` name. Gates run in a temporary checkout,
 * so any expression about its path could never be stable; `json()` already reads relative to it.
 */
import { FUNCTION_ARITY, METHOD_ARITY, VARIABLES, type CompareOp, type FunctionName, type MethodName, type Node, type VariableName } from './ast.ts';
import { PassWhenError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';
import { precompileLiteralPatterns, RegexCache } from './literal-patterns.ts';

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'None', 'True', 'False']);
const PY_KEYWORDS_UNSUPPORTED = new Set(['if', 'else', 'lambda', 'for', 'yield', 'await', 'import', 'from', 'del', 'global', 'def', 'class', 'return', 'with', 'as', 'assert', 'async', 'while', 'try', 'except', 'raise', 'pass', 'break', 'continue', 'nonlocal', 'finally', 'elif']);

/** Parses and validates (including literal regex patterns); throws PassWhenError with an offset. */
export function parsePassWhen(src: string, regexes: RegexCache = new RegexCache()): Node {
  if (src.trim() === '') throw new PassWhenError('pass_when is empty', 0);
  const p = new Parser(tokenize(src));
  const node = p.expr();
  const t = p.peek();
  if (t.kind === 'op' && t.value === '=') throw new PassWhenError("'=' is assignment; compare with '=='", t.offset);
  if (t.kind === 'name' && PY_KEYWORDS_UNSUPPORTED.has(t.value)) throw new PassWhenError(`'${t.value}' is not supported in pass_when`, t.offset);
  if (t.kind !== 'end') throw new PassWhenError(`unexpected ${describe(t)} after the end of the expression`, t.offset);
  precompileLiteralPatterns(node, regexes);
  return node;
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'end of expression';
  if (t.kind === 'string') return 'string';
  return `'${t.value}'`;
}

/**
 * Nesting (parentheses, call arguments, `not not …`, `.method()` chains) beyond this is refused: the
 * parser and evaluator recurse, and a 300 000-deep expression would overflow the stack and crash
 * `peers info` instead of reporting a line. Python's own parser stops at 200 parentheses.
 */
export const MAX_NESTING = 100;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private deeper(offset: number): void {
    if (++this.depth > MAX_NESTING) throw new PassWhenError(`expression nested deeper than ${MAX_NESTING} levels`, offset);
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }
  private isOp(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && t.value === value;
  }
  private isWord(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'name' && t.value === value;
  }
  private expectOp(value: string): Token {
    const t = this.next();
    if (t.kind !== 'op' || t.value !== value) throw new PassWhenError(`expected '${value}' but found ${describe(t)}`, t.offset);
    return t;
  }

  expr(): Node {
    this.deeper(this.peek().offset);
    const node = this.boolChain('or', () => this.boolChain('and', () => this.notExpr()));
    this.depth--;
    return node;
  }

  private boolChain(word: 'or' | 'and', sub: () => Node): Node {
    const first = sub();
    if (!this.isWord(word)) return first;
    const items = [first];
    while (this.isWord(word)) {
      this.next();
      items.push(sub());
    }
    return { k: word, items, offset: first.offset };
  }

  private notExpr(): Node {
    if (this.isWord('not')) {
      const t = this.next();
      this.deeper(t.offset);
      const operand = this.notExpr();
      this.depth--;
      return { k: 'not', operand, offset: t.offset };
    }
    return this.compare();
  }

  private compareOp(): CompareOp | undefined {
    const t = this.peek();
    if (t.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.value)) return t.value as CompareOp;
    if (this.isWord('in')) return 'in';
    if (this.isWord('not') && this.isWord('in', 1)) return 'not in';
    if (this.isWord('is')) return this.isWord('not', 1) ? 'is not' : 'is';
    return undefined;
  }

  private compare(): Node {
    const first = this.sum();
    const rest: { op: CompareOp; right: Node; offset: number }[] = [];
    for (let op = this.compareOp(); op; op = this.compareOp()) {
      const offset = this.next().offset;
      if (op === 'not in' || op === 'is not') this.next();
      rest.push({ op, right: this.sum(), offset });
    }
    return rest.length ? { k: 'compare', first, rest, offset: first.offset } : first;
  }

  private sum(): Node {
    const first = this.postfix();
    if (!this.isOp('+') && !this.isOp('-')) return first;
    const items = [first];
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      if (t.kind === 'op' && t.value === '-') throw new PassWhenError("only '+' is supported among arithmetic operators", t.offset);
      items.push(this.postfix());
    }
    return { k: 'add', items, offset: first.offset };
  }

  private postfix(): Node {
    let node = this.atom();
    const outer = this.depth;
    while (this.isOp('.') || this.isOp('(')) {
      if (this.isOp('(')) throw new PassWhenError('only regex, json, int, float, len and string methods can be called', this.peek().offset);
      this.deeper(this.next().offset); // each link of a chain is one level deeper in the tree
      const t = this.next();
      if (t.kind !== 'name') throw new PassWhenError(`expected a name after '.' but found ${describe(t)}`, t.offset);
      if (t.value.startsWith('_')) throw new PassWhenError(`'${t.value}': names starting with '_' are not accessible`, t.offset);
      if (this.isOp('(')) {
        if (!(t.value in METHOD_ARITY)) {
          throw new PassWhenError(`method '${t.value}' is not allowed; allowed: ${Object.keys(METHOD_ARITY).join(', ')}`, t.offset);
        }
        const name = t.value as MethodName;
        const args = this.args(name, METHOD_ARITY[name], t.offset);
        node = { k: 'method', target: node, name, args, offset: t.offset };
      } else {
        node = { k: 'attr', target: node, name: t.value, offset: t.offset };
      }
    }
    this.depth = outer;
    return node;
  }

  private args(name: string, [min, max]: [number, number], offset: number): Node[] {
    this.expectOp('(');
    const args: Node[] = [];
    while (!this.isOp(')')) {
      if (this.peek().kind === 'name' && this.isOp('=', 1)) throw new PassWhenError('keyword arguments are not supported', this.peek().offset);
      args.push(this.expr());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(')');
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : `${min} to ${max}`;
      throw new PassWhenError(`${name}() takes ${want} argument${min === max && max === 1 ? '' : 's'}, got ${args.length}`, offset);
    }
    return args;
  }

  private atom(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { k: 'const', value: t.value, offset: t.offset };
      case 'string': {
        let value = t.value;
        // Python joins adjacent literals: 'a' 'b' == 'ab'.
        while (this.peek().kind === 'string') value += (this.next() as { value: string }).value;
        return { k: 'const', value, offset: t.offset };
      }
      case 'op':
        if (t.value === '(') {
          if (this.isOp(')')) throw new PassWhenError('tuples are not supported', t.offset);
          const inner = this.expr();
          if (this.isOp(',')) throw new PassWhenError('tuples are not supported', this.peek().offset);
          this.expectOp(')');
          return inner;
        }
        if (t.value === '-') {
          const n = this.peek();
          if (n.kind === 'number') {
            this.next();
            return { k: 'const', value: -n.value, offset: t.offset };
          }
          throw new PassWhenError("unary '-' is only allowed directly before a number", t.offset);
        }
        throw new PassWhenError(`unexpected ${describe(t)}`, t.offset);
      case 'end':
        throw new PassWhenError('unexpected end of expression', t.offset);
      case 'name':
        return this.named(t.value, t.offset);
    }
  }

  private named(name: string, offset: number): Node {
    if (name === 'None') return { k: 'const', value: null, offset };
    if (name === 'True' || name === 'False') return { k: 'const', value: name === 'True', offset };
    if (name in FUNCTION_ARITY) {
      if (!this.isOp('(')) throw new PassWhenError(`'${name}' is a function; call it as ${name}(...)`, offset);
      const fn = name as FunctionName;
      return { k: 'call', fn, args: this.args(fn, FUNCTION_ARITY[fn], offset), offset };
    }
    if ((VARIABLES as readonly string[]).includes(name)) {
      if (this.isOp('(')) throw new PassWhenError(`'${name}' is not callable`, offset);
      return { k: 'var', name: name as VariableName, offset };
    }
    if (KEYWORDS.has(name)) throw new PassWhenError(`unexpected keyword '${name}'`, offset);
    if (PY_KEYWORDS_UNSUPPORTED.has(name)) throw new PassWhenError(`'${name}' is not supported in pass_when`, offset);
    throw new PassWhenError(
      `unknown name '${name}'; available: exit_code, stdout, stderr, None, True, False, regex(), json(), int(), float(), len()`,
      offset,
    );
  }
}
