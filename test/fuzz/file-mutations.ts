/**
 * Ways a file a user or a peer can write goes wrong: replaced by a directory, a symlink, a FIFO, a
 * huge sparse file; truncated; binary garbage; flipped bytes; and structured mutations of JSON,
 * JSON lines and YAML that keep the syntax but break the meaning (wrong types, out-of-range
 * numbers, missing keys, huge strings, deep nesting). Every symlink points inside the fuzz world or
 * at /dev/zero and /dev/null, never at a file a command could overwrite.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Random } from './seeded-random.ts';

export const MUTATIONS = [
  'delete', 'directory', 'symlink-devzero', 'symlink-devnull', 'symlink-dangling', 'symlink-self', 'symlink-other', 'fifo', 'huge', 'empty',
  'truncate', 'garbage', 'flip-bytes', 'structured', 'structured', 'structured', 'structured',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Values of the wrong type or out of range, for any JSON or YAML position. */
const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, -0.0001, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 31), '', ' ', 'x', '-1', '1e309', 'NaN', '\u0000', '\u202e', '../../etc/passwd',
  [], [1, 'a', null], {}, { a: 1 }, { __proto__: 1 }, { constructor: 'x' }, 'y'.repeat(100_000),
];

function deep(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function oddValue(rnd: Random): unknown {
  return rnd.chance(0.05) ? deep(5000) : rnd.pick(ODD_VALUES);
}

/** Replaces, deletes or adds one value somewhere in a parsed JSON/YAML tree. */
function mutateTree(value: unknown, rnd: Random, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 6 || rnd.chance(0.15)) return oddValue(rnd);
  if (Array.isArray(value)) {
    const copy = [...value];
    if (!copy.length || rnd.chance(0.1)) copy.push(oddValue(rnd));
    else {
      const i = rnd.int(copy.length);
      if (rnd.chance(0.15)) copy.splice(i, 1);
      else copy[i] = mutateTree(copy[i], rnd, depth + 1);
    }
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (!keys.length || rnd.chance(0.1)) copy[rnd.pick(['extra', '__proto__', 'constructor', 'toString', '', 'x'.repeat(300)])] = oddValue(rnd);
  else {
    const k = rnd.pick(keys);
    if (rnd.chance(0.2)) delete copy[k];
    else copy[k] = mutateTree(copy[k], rnd, depth + 1);
  }
  return copy;
}

function structured(path: string, text: string, rnd: Random): string {
  if (path.endsWith('.jsonl')) {
    const lines = text.split('\n');
    const i = rnd.int(Math.max(1, lines.length - 1));
    if (rnd.chance(0.2)) lines.splice(i, 0, rnd.pick(['{', 'null', '[]', '{"event":"tick"}', '{"event":"exit"}', '"tick"', '{"event":"tick","tick":"1","peer":7}', '\u0000\u0001']));
    else {
      try {
        lines[i] = JSON.stringify(mutateTree(JSON.parse(lines[i]!), rnd));
      } catch {
        lines[i] = '{"event":"tick","tick":1e308}';
      }
    }
    return lines.join('\n');
  }
  if (path.endsWith('.json')) {
    try {
      return JSON.stringify(mutateTree(JSON.parse(text), rnd));
    } catch {
      return JSON.stringify(oddValue(rnd));
    }
  }
  if (path.endsWith('.yaml')) {
    try {
      return stringifyYaml(mutateTree(parseYaml(text), rnd), { aliasDuplicateObjects: false });
    } catch {
      return rnd.pick(['[[[[', 'a: &a [*a]', 'k: v\nk: w\n', '- - - -', ': :', '{a: 1, a: 2}']);
    }
  }
  const lines = text.split('\n');
  lines[rnd.int(lines.length)] = String(rnd.pick(ODD_VALUES)).slice(0, 10_000);
  return lines.join('\n');
}

/** Applies one mutation to `path` (which may be a file or a directory); returns a short label. */
export function mutate(path: string, kind: Mutation, rnd: Random, others: { sibling: string }): string {
  const wasDir = existsSync(path) && lstatSync(path).isDirectory();
  const original = existsSync(path) && !wasDir ? readFileSync(path) : Buffer.alloc(0);
  const replace = () => rmSync(path, { recursive: true, force: true });
  switch (kind) {
    case 'delete':
      replace();
      break;
    case 'directory':
      replace();
      mkdirSync(path);
      break;
    case 'symlink-devzero':
    case 'symlink-devnull':
    case 'symlink-dangling':
    case 'symlink-self':
    case 'symlink-other':
      replace();
      symlinkSync({ 'symlink-devzero': '/dev/zero', 'symlink-devnull': '/dev/null', 'symlink-dangling': `${path}.nowhere`, 'symlink-self': path, 'symlink-other': others.sibling }[kind], path);
      break;
    case 'fifo':
      replace();
      Bun.spawnSync(['mkfifo', path]);
      break;
    case 'huge':
      replace();
      Bun.spawnSync(['truncate', '-s', rnd.pick(['9M', '300M', '3G']), path]);
      break;
    case 'empty':
      replace();
      writeFileSync(path, '');
      break;
    case 'truncate':
      if (wasDir) return mutate(path, 'garbage', rnd, others);
      writeFileSync(path, original.subarray(0, rnd.int(original.length + 1)));
      break;
    case 'garbage': {
      replace();
      const bytes = Buffer.alloc(1 + rnd.int(4096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd.int(256);
      writeFileSync(path, bytes);
      break;
    }
    case 'flip-bytes': {
      if (wasDir || original.length === 0) return mutate(path, 'garbage', rnd, others);
      const copy = Buffer.from(original);
      for (let n = 1 + rnd.int(8); n > 0; n--) copy[rnd.int(copy.length)] = rnd.int(256);
      writeFileSync(path, copy);
      break;
    }
    case 'structured':
      if (wasDir) return mutate(path, 'fifo', rnd, others);
      writeFileSync(path, structured(path, original.toString('utf8'), rnd));
      break;
  }
  return kind;
}
