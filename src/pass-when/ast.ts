/** The syntax tree of a `pass_when` expression. Every node keeps its source offset for errors. */

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is' | 'is not';
export type FunctionName = 'regex' | 'json' | 'int' | 'float' | 'len';
export type MethodName = 'strip' | 'lstrip' | 'rstrip' | 'lower' | 'upper' | 'split' | 'splitlines' | 'startswith' | 'endswith';
export type VariableName = 'exit_code' | 'stdout' | 'stderr';

export type Node =
  | { k: 'or' | 'and'; items: Node[]; offset: number }
  | { k: 'not'; operand: Node; offset: number }
  | { k: 'compare'; first: Node; rest: { op: CompareOp; right: Node; offset: number }[]; offset: number }
  | { k: 'add'; items: Node[]; offset: number }
  | { k: 'const'; value: null | boolean | number | string; offset: number }
  | { k: 'var'; name: VariableName; offset: number }
  | { k: 'call'; fn: FunctionName; args: Node[]; offset: number }
  | { k: 'method'; target: Node; name: MethodName; args: Node[]; offset: number }
  | { k: 'attr'; target: Node; name: string; offset: number };

export const FUNCTION_ARITY: Record<FunctionName, [number, number]> = {
  regex: [2, 2], json: [1, 1], int: [1, 1], float: [1, 1], len: [1, 1],
};
export const METHOD_ARITY: Record<MethodName, [number, number]> = {
  strip: [0, 1], lstrip: [0, 1], rstrip: [0, 1], split: [0, 1],
  lower: [0, 0], upper: [0, 0], splitlines: [0, 0], startswith: [1, 1], endswith: [1, 1],
};
export const VARIABLES: readonly VariableName[] = ['exit_code', 'stdout', 'stderr'];
