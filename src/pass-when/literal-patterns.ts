/**
 * A regex pattern written as a string literal is compiled while the expression is parsed, so an
 * unsupported or malformed pattern is a goals-file load error with an offset, not a gate failure
 * discovered hours into a run.
 */
import type { Node } from './ast.ts';
import { PassWhenError } from './errors.ts';
import { compileRegex, type CompiledRegex } from './regex/matcher.ts';

export class RegexCache {
  private readonly cache = new Map<string, CompiledRegex>();
  get(pattern: string): CompiledRegex {
    let re = this.cache.get(pattern);
    if (!re) {
      re = compileRegex(pattern);
      this.cache.set(pattern, re);
    }
    return re;
  }
}

export function precompileLiteralPatterns(node: Node, regexes: RegexCache): void {
  if (node.k === 'call' && node.fn === 'regex') {
    const pattern = node.args[0]!;
    if (pattern.k === 'const' && typeof pattern.value === 'string') {
      try {
        regexes.get(pattern.value);
      } catch (error) {
        throw new PassWhenError(`regex(): invalid pattern: ${(error as Error).message}`, pattern.offset);
      }
    }
  }
  for (const child of children(node)) precompileLiteralPatterns(child, regexes);
}

function children(node: Node): Node[] {
  switch (node.k) {
    case 'or':
    case 'and':
    case 'add':
      return node.items;
    case 'not':
      return [node.operand];
    case 'compare':
      return [node.first, ...node.rest.map((r) => r.right)];
    case 'call':
      return node.args;
    case 'method':
      return [node.target, ...node.args];
    case 'attr':
      return [node.target];
    case 'const':
    case 'var':
      return [];
  }
}
