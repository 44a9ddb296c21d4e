/**
 * What an expression can evaluate to, read from its syntax alone: enough to refuse at load a
 * `pass_when` that can never be the bool a verdict needs (`exit_code`, `regex(...)`, `len(stdout)`),
 * which otherwise failed the gate at its first run with "must return bool" and no file or line.
 * Only what is certain is refused: a `json(...)` value or a field of one may be a bool, and `a and
 * b` returns one of its operands, so it is refused only when one operand can never be a bool.
 */
import type { Node } from './ast.ts';
import { PassWhenError } from './errors.ts';

/** The type (a Python name) the expression always has and where that part starts, or null when it is (or may be) a bool. */
function notBool(n: Node): { type: string; offset: number } | null {
  const is = (type: string) => ({ type, offset: n.offset });
  switch (n.k) {
    case 'compare':
    case 'not':
      return null;
    case 'or':
    case 'and':
      for (const item of n.items) {
        const t = notBool(item);
        if (t) return t;
      }
      return null;
    case 'const':
      return n.value === null ? is('NoneType') : typeof n.value === 'boolean' ? null : is(typeof n.value === 'string' ? 'str' : Number.isInteger(n.value) ? 'int' : 'float');
    case 'var':
      return is(n.name === 'exit_code' ? 'int' : 'str');
    case 'add':
      return notBool(n.items[0]!) ?? is('int');
    case 'call':
      return n.fn === 'json' ? null : is(n.fn === 'regex' ? 'a match or None' : n.fn === 'float' ? 'float' : 'int');
    case 'method':
      return n.name === 'startswith' || n.name === 'endswith' ? null : is(n.name === 'split' || n.name === 'splitlines' ? 'list' : 'str');
    case 'attr':
      return null;
  }
}

/** Throws when `root` can never evaluate to a bool, pointing at the part that cannot. */
export function requireBoolResult(root: Node): void {
  const t = notBool(root);
  if (t) throw new PassWhenError(`pass_when must return a bool, and this is always ${t.type === 'a match or None' ? t.type : `a value of type ${t.type}`}: compare it (e.g. exit_code == 0, regex(...) != None, "passed" in stdout)`, t.offset);
}
