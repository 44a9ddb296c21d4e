/**
 * The `pass_when` language: a gate's verdict over its exit code and output. Compiled once when the
 * goals file loads (so a typo fails `peers info`, not the tenth tick), evaluated after every run.
 * A folder of its own below both users: src/config compiles it, src/gates evaluates it
 * (docs/ARCHITECTURE.md, Layers).
 */
import { evaluate, type PassWhenContext } from './evaluate.ts';
import { RegexCache } from './literal-patterns.ts';
import { parsePassWhen } from './parser.ts';
import { requireBoolResult } from './result-kind.ts';

export { PassWhenError } from './errors.ts';
export { pyRepr, type PassWhenContext } from './evaluate.ts';

export type CompiledPassWhen = { source: string; evaluate(ctx: PassWhenContext): boolean };

export function compilePassWhen(source: string): CompiledPassWhen {
  const regexes = new RegexCache();
  const ast = parsePassWhen(source, regexes);
  requireBoolResult(ast);
  return { source, evaluate: (ctx) => evaluate(ast, ctx, regexes) };
}
