/**
 * Tree-walking evaluator for pass_when. It has no access to anything but the gate's exit code, its
 * output, regex() and json() under the checkout: there is no eval, no host object reachable.
 */
import type { CompareOp, Node } from './ast.ts';
import { PassWhenError } from './errors.ts';
import { JsonFileError, readJsonUnder } from './json-file.ts';
import { RegexCache } from './literal-patterns.ts';
import { RegexBudgetError, type CompiledRegex } from './regex/matcher.ts';
import { add, contains, equals, EvalTypeError, identical, JsonView, length, MatchValue, order, truthy, typeName, wrapJson, type Value } from './values.ts';

export type PassWhenContext = { exit_code: number; stdout: string; stderr: string; /** checkout root for json() */ cwd: string };

/** What the DSL sees of each output stream and what regex() scans: at most 1 MiB of characters. */
export const MAX_TEXT_CHARS = 1024 * 1024;
/** Of a longer stream, this much of its start is kept; the rest of the budget goes to its end. */
const HEAD_CHARS = 64 * 1024;
const CUT_MARKER = '\n... <output cut for pass_when> ...\n';

/**
 * The baseline showed only the first 1 MiB, so the summary a test runner prints last ("0 failed")
 * was invisible on verbose suites and a passing gate failed. Keep the start and, above all, the end.
 */
export function sliceText(s: string): string {
  if (s.length <= MAX_TEXT_CHARS) return s;
  return s.slice(0, HEAD_CHARS) + CUT_MARKER + s.slice(s.length - (MAX_TEXT_CHARS - HEAD_CHARS - CUT_MARKER.length));
}

export function evaluate(root: Node, ctx: PassWhenContext, regexes: RegexCache): boolean {
  const vars = { exit_code: ctx.exit_code, stdout: sliceText(ctx.stdout), stderr: sliceText(ctx.stderr) };
  const fail = (message: string, node: { offset: number }): never => {
    throw new PassWhenError(message, node.offset, 'runtime');
  };

  const ev = (node: Node): Value => {
    try {
      return evalNode(node);
    } catch (error) {
      if (error instanceof EvalTypeError || error instanceof JsonFileError || error instanceof RegexBudgetError) fail(error.message, node);
      throw error;
    }
  };

  const compareOne = (op: CompareOp, a: Value, b: Value): boolean => {
    switch (op) {
      case '==': return equals(a, b);
      case '!=': return !equals(a, b);
      case '<': return order(a, b, op) < 0;
      case '<=': return order(a, b, op) <= 0;
      case '>': return order(a, b, op) > 0;
      case '>=': return order(a, b, op) >= 0;
      case 'in': return contains(b, a);
      case 'not in': return !contains(b, a);
      case 'is': return identical(a, b);
      case 'is not': return !identical(a, b);
    }
  };

  const str = (v: Value, what: string, node: Node): string => {
    if (typeof v !== 'string') fail(`${what} must be a string, not ${typeName(v)}`, node);
    return v as string;
  };

  const evalNode = (node: Node): Value => {
    switch (node.k) {
      case 'const':
        return node.value;
      case 'var':
        return vars[node.name];
      case 'or':
      case 'and': {
        // Python semantics: yields the deciding operand, not necessarily a bool.
        let v: Value = null;
        for (const item of node.items) {
          v = ev(item);
          if (truthy(v) === (node.k === 'or')) return v;
        }
        return v;
      }
      case 'not':
        return !truthy(ev(node.operand));
      case 'compare': {
        let left = ev(node.first);
        for (const { op, right, offset } of node.rest) {
          const r = ev(right);
          let ok: boolean;
          try {
            ok = compareOne(op, left, r);
          } catch (error) {
            if (error instanceof EvalTypeError) fail(error.message, { offset });
            throw error;
          }
          if (!ok) return false;
          left = r;
        }
        return true;
      }
      case 'add':
        return node.items.slice(1).reduce<Value>((acc, item) => add(acc, ev(item)), ev(node.items[0]!));
      case 'call':
        return callFunction(node);
      case 'method':
        return callMethod(node as Extract<Node, { k: 'method' }>);
      case 'attr': {
        const target = ev(node.target);
        if (target instanceof JsonView && !Array.isArray(target.data)) {
          if (!Object.hasOwn(target.data, node.name)) fail(`json value has no key '${node.name}'`, node);
          return wrapJson(target.data[node.name]);
        }
        if (target instanceof MatchValue && node.name === 'string') return target.string;
        return fail(`'${typeName(target)}' object has no attribute '${node.name}'`, node);
      }
    }
  };

  const callFunction = (node: Extract<Node, { k: 'call' }>): Value => {
    const args = node.args.map(ev);
    const a = args[0]!;
    switch (node.fn) {
      case 'regex': {
        const pattern = str(a, 'regex() pattern', node);
        const text = sliceText(str(args[1]!, 'regex() text', node));
        let re: CompiledRegex;
        try {
          re = regexes.get(pattern);
        } catch (error) {
          return fail(`regex(): invalid pattern: ${(error as Error).message}`, node.args[0]!);
        }
        return re.search(text) ? new MatchValue(text) : null;
      }
      case 'json':
        return wrapJson(readJsonUnder(ctx.cwd, str(a, 'json() path', node)));
      case 'len':
        return length(a);
      case 'int':
        return toInt(a, node);
      case 'float':
        return toFloat(a, node);
    }
  };

  const toInt = (v: Value, node: Node): number => {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail(`cannot convert float ${v} to integer`, node);
      return Math.trunc(v);
    }
    if (typeof v === 'string') {
      const t = v.trim();
      if (!/^[+-]?\d(?:_?\d)*$/.test(t)) fail(`invalid literal for int() with base 10: ${pyRepr(v)}`, node);
      return Number(t.replaceAll('_', ''));
    }
    return fail(`int() argument must be a string or a number, not '${typeName(v)}'`, node);
  };

  const toFloat = (v: Value, node: Node): number => {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      const t = v.trim().replace(/(?<=\d)_(?=\d)/g, '');
      if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
      if (/^[+-]?nan$/i.test(t)) return NaN;
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) fail(`could not convert string to float: ${pyRepr(v)}`, node);
      return Number(t);
    }
    return fail(`float() argument must be a string or a real number, not '${typeName(v)}'`, node);
  };

  const callMethod = (node: Extract<Node, { k: 'method' }>): Value => {
    const target = ev(node.target);
    if (typeof target !== 'string') fail(`'${typeName(target)}' object has no attribute '${node.name}'`, node);
    const s = target as string;
    const args = node.args.map(ev);
    const optChars = (): string | null => {
      const c = args[0];
      if (c === undefined || c === null) return null;
      return str(c, `${node.name}() argument`, node);
    };
    switch (node.name) {
      case 'strip': return stripChars(s, optChars(), true, true);
      case 'lstrip': return stripChars(s, optChars(), true, false);
      case 'rstrip': return stripChars(s, optChars(), false, true);
      case 'lower': return s.toLowerCase();
      case 'upper': return s.toUpperCase();
      case 'startswith': return s.startsWith(str(args[0]!, 'startswith() argument', node));
      case 'endswith': return s.endsWith(str(args[0]!, 'endswith() argument', node));
      case 'splitlines': {
        const lines = s.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
        if (lines[lines.length - 1] === '') lines.pop();
        return lines;
      }
      case 'split': {
        const sep = optChars();
        if (sep === null) return s.split(/\s+/).filter((p) => p !== '');
        if (sep === '') fail('split(): empty separator', node);
        return s.split(sep);
      }
    }
  };

  const result = ev(root);
  if (typeof result !== 'boolean') {
    fail(`pass_when must return bool, got ${typeName(result)}: did you forget a comparison? (e.g. regex(...) != None)`, root);
  }
  return result as boolean;
}

function stripChars(s: string, chars: string | null, left: boolean, right: boolean): string {
  const cps = [...s];
  const strip = chars === null ? (c: string) => /\s/.test(c) : (c: string) => chars.includes(c);
  let i = 0;
  let j = cps.length;
  if (left) while (i < j && strip(cps[i]!)) i++;
  if (right) while (j > i && strip(cps[j - 1]!)) j--;
  return cps.slice(i, j).join('');
}

/** Python-style repr of a string, for messages and diagnostics. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

