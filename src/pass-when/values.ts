/**
 * Runtime values of pass_when and the Python semantics they follow: equality, ordering, `in`,
 * truthiness, `+`. Python's bool is an int (True + 1 == 2, True == 1), and comparing a str with an
 * int by order is a TypeError, not false; these rules are reproduced because gate authors know them.
 */

/** A regex match. pass_when only tests it against None, or reads `.string`. */
export class MatchValue {
  constructor(readonly string: string) {}
}

/** A parsed json() object or array; `.key` reaches object members, comparisons see the raw data. */
export class JsonView {
  constructor(readonly data: Record<string, unknown> | unknown[]) {}
}

export type Value = null | boolean | number | string | Value[] | MatchValue | JsonView;

export class EvalTypeError extends Error {}

export function wrapJson(v: unknown): Value {
  if (v !== null && typeof v === 'object') return new JsonView(v as Record<string, unknown> | unknown[]);
  return v as Value;
}

function unwrap(v: unknown): unknown {
  return v instanceof JsonView ? v.data : v;
}

export function typeName(v: unknown): string {
  const u = unwrap(v);
  if (u === null || u === undefined) return 'NoneType';
  if (typeof u === 'boolean') return 'bool';
  if (typeof u === 'number') return Number.isInteger(u) ? 'int' : 'float';
  if (typeof u === 'string') return 'str';
  if (Array.isArray(u)) return 'list';
  if (u instanceof MatchValue) return 're.Match';
  return 'dict';
}

const isNumeric = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
const num = (v: number | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export function equals(a: unknown, b: unknown): boolean {
  a = unwrap(a);
  b = unwrap(b);
  if (a === null || b === null) return a === b;
  if (isNumeric(a) && isNumeric(b)) return num(a) === num(b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  if (a instanceof MatchValue || b instanceof MatchValue) return a === b;
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && equals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** Python ordering: -1, 0, 1; TypeError across incomparable types. */
export function order(a: unknown, b: unknown, op: string): number {
  const ua = unwrap(a);
  const ub = unwrap(b);
  if (isNumeric(ua) && isNumeric(ub)) return Math.sign(num(ua) - num(ub));
  if (typeof ua === 'string' && typeof ub === 'string') return ua < ub ? -1 : ua > ub ? 1 : 0;
  if (Array.isArray(ua) && Array.isArray(ub)) {
    for (let i = 0; i < Math.min(ua.length, ub.length); i++) {
      if (!equals(ua[i], ub[i])) return order(ua[i], ub[i], op);
    }
    return Math.sign(ua.length - ub.length);
  }
  throw new EvalTypeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function contains(container: unknown, item: unknown): boolean {
  const c = unwrap(container);
  if (typeof c === 'string') {
    if (typeof unwrap(item) !== 'string') throw new EvalTypeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return c.includes(unwrap(item) as string);
  }
  if (Array.isArray(c)) return c.some((x) => equals(x, item));
  if (c !== null && typeof c === 'object' && !(c instanceof MatchValue)) {
    const key = unwrap(item);
    return typeof key === 'string' && Object.hasOwn(c, key);
  }
  throw new EvalTypeError(`argument of type '${typeName(container)}' is not iterable`);
}

/** `is`: identity for None, True, False; value identity for numbers and strings (as CPython's caches make it for the small values gates use). */
export function identical(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (typeof a === 'number' || typeof a === 'string') return a === b;
  if (a instanceof JsonView && b instanceof JsonView) return a.data === b.data;
  return a === b;
}

export function truthy(v: unknown): boolean {
  const u = unwrap(v);
  if (u === null || u === undefined) return false;
  if (typeof u === 'boolean') return u;
  if (typeof u === 'number') return u !== 0;
  if (typeof u === 'string' || Array.isArray(u)) return u.length > 0;
  if (u instanceof MatchValue) return true;
  return Object.keys(u as object).length > 0;
}

export function add(a: Value, b: Value): Value {
  const ua = unwrap(a);
  const ub = unwrap(b);
  if (isNumeric(ua) && isNumeric(ub)) return num(ua) + num(ub);
  if (typeof ua === 'string' && typeof ub === 'string') return ua + ub;
  if (Array.isArray(ua) && Array.isArray(ub)) return [...ua, ...ub] as Value[];
  throw new EvalTypeError(`unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`);
}

export function length(v: Value): number {
  const u = unwrap(v);
  if (typeof u === 'string') return [...u].length;
  if (Array.isArray(u)) return u.length;
  if (u !== null && typeof u === 'object' && !(u instanceof MatchValue)) return Object.keys(u).length;
  throw new EvalTypeError(`object of type '${typeName(v)}' has no len()`);
}
