/**
 * Every problem with a `pass_when` expression, at load (syntax, unknown names, bad regex) or at
 * evaluation (type errors, a missing json file). `offset` is the 0-based character position in the
 * expression source, so the goals loader can point at the exact column.
 */
export class PassWhenError extends Error {
  constructor(message: string, readonly offset: number, readonly phase: 'parse' | 'runtime' = 'parse') {
    super(message);
    this.name = 'PassWhenError';
  }
}
