/**
 * The mutation operators of test/mutation/run.ts on tiny fixtures: each operator makes the edit it
 * claims, every mutant is still valid TypeScript, and what cannot change behaviour (types, imports,
 * object keys) is never mutated. A wrong operator would make the recorded scores meaningless.
 */
import { describe, expect, test } from 'bun:test';
import ts from 'typescript';
import { applyMutant, listMutants } from '../../mutation/mutators.ts';

const edits = (source: string) => listMutants(source).map((m) => `${m.operator}: ${m.original} -> ${m.replacement}`);

function parsesCleanly(source: string): boolean {
  const out = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
  return (out.diagnostics ?? []).length === 0;
}

describe('mutation operators', () => {
  test('relational, equality, logical, nullish and arithmetic operators are flipped', () => {
    expect(edits('const f = (a: number, b: number) => a < b;')).toEqual(['relational: < -> <=', 'relational: < -> >=']);
    expect(edits('const f = (a: number, b: number) => a >= b;')).toEqual(['relational: >= -> >', 'relational: >= -> <']);
    expect(edits('const f = (a: unknown, b: unknown) => a === b;')).toEqual(['equality: === -> !==']);
    expect(edits('const f = (a: boolean, b: boolean) => a && b;')).toEqual(['logical: && -> ||']);
    expect(edits('const f = (a?: number) => a ?? b;')).toEqual(['nullish: ?? -> &&']);
    expect(edits('const f = (a: number, b: number) => a * b - a;')).toEqual(['arithmetic: - -> +', 'arithmetic: * -> /']);
  });

  test('string concatenation is left alone; its literals are emptied', () => {
    expect(edits("const f = (a: string) => 'x' + a;")).toEqual(["string literal: 'x' -> ''"]);
    expect(edits("const e = '';")).toEqual(["string literal: '' -> 'mutated'"]);
  });

  test('negation and unary minus are removed; booleans flip; numbers move by one', () => {
    expect(edits('const f = (a: boolean) => !a;')).toEqual(['negation removal: ! -> ']);
    expect(edits('const f = (a: number) => -a;')).toEqual(['unary minus removal: - -> ']);
    expect(edits('const t = true;')).toEqual(['boolean literal: true -> false']);
    expect(edits('const n = 0x10;')).toEqual(['number literal: 0x10 -> 17']);
  });

  test('if and ternary conditions are forced both ways, which also removes every early return', () => {
    expect(edits('function f(a: boolean) { if (a) return 1; return 2; }')).toEqual([
      'if condition: a -> true',
      'if condition: a -> false',
      'number literal: 1 -> 2',
      'number literal: 2 -> 3',
    ]);
    expect(edits('const f = (a: boolean) => (a ? x : y);')).toEqual(['ternary condition: a -> true', 'ternary condition: a -> false']);
  });

  test('some/every, startsWith/endsWith and Math.min/max are swapped; other min/max calls are not', () => {
    expect(edits('const f = (xs: number[]) => xs.some(g);')).toEqual(['method swap: some -> every']);
    expect(edits("const f = (s: string) => s.startsWith(p);")).toEqual(['method swap: startsWith -> endsWith']);
    expect(edits('const f = () => Math.max(a, b);')).toEqual(['method swap: max -> min']);
    expect(edits('const f = () => stats.max(a);')).toEqual([]);
  });

  test('types, imports, object keys and directives are never mutated', () => {
    const source = [
      "'use strict';",
      "import { x } from './x.ts';",
      "export { y } from './y.ts';",
      "type T = { kind: 'a' | 'b'; n: 1 };",
      'interface I { flag: true }',
      "const o = { 'key': v };",
    ].join('\n');
    expect(edits(source)).toEqual([]);
  });

  test('every mutant of a real-shaped module is valid TypeScript and differs from the original at its position', () => {
    const source = [
      "export function verdict(n: number, names: string[], strict = false): string {",
      "  if (n <= 0 || !names.length) return 'none';",
      "  const big = n > 10 ? 'many' : 'few';",
      "  return strict && names.every((x) => x.startsWith('p')) ? big + '!' : `${big}:${Math.min(n, 3) * 2}`;",
      '}',
    ].join('\n');
    const mutants = listMutants(source);
    expect(mutants.length).toBeGreaterThan(15);
    for (const m of mutants) {
      const mutated = applyMutant(source, m);
      expect({ m: `${m.line}:${m.column} ${m.operator}`, valid: parsesCleanly(mutated) }).toEqual({ m: `${m.line}:${m.column} ${m.operator}`, valid: true });
      expect(mutated).not.toBe(source);
      expect(source.split('\n')[m.line - 1]!.slice(m.column - 1).startsWith(m.original)).toBe(true);
    }
  });
});
