/**
 * The mutation operators: given one TypeScript source text, list every mutant (a single small edit
 * that keeps the program syntactically valid). Pure: no files, no processes; `run.ts` applies them.
 *
 * The operators follow the standard set (StrykerJS's, minus the ones that only add noise here):
 * relational and equality flips, logical and nullish swaps, arithmetic swaps, `!` and unary `-`
 * removal, boolean literal flips, if/ternary conditions forced true or false (which also removes
 * every early return), string and number literal changes, and method swaps
 * (some/every, startsWith/endsWith, Math.min/max). Type positions, imports and the keys of object
 * literals are never mutated: they do not change what the program does.
 */
import ts from 'typescript';

export type Mutant = {
  /** 1-based line and column of the edit in the original text. */
  line: number;
  column: number;
  operator: string;
  /** The replaced text and what replaces it. */
  original: string;
  replacement: string;
  start: number;
  end: number;
};

const BINARY_SWAPS: Partial<Record<ts.SyntaxKind, { op: string; to: string[]; name: string }>> = {
  [ts.SyntaxKind.LessThanToken]: { op: '<', to: ['<=', '>='], name: 'relational' },
  [ts.SyntaxKind.LessThanEqualsToken]: { op: '<=', to: ['<', '>'], name: 'relational' },
  [ts.SyntaxKind.GreaterThanToken]: { op: '>', to: ['>=', '<='], name: 'relational' },
  [ts.SyntaxKind.GreaterThanEqualsToken]: { op: '>=', to: ['>', '<'], name: 'relational' },
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: { op: '===', to: ['!=='], name: 'equality' },
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: { op: '!==', to: ['==='], name: 'equality' },
  [ts.SyntaxKind.EqualsEqualsToken]: { op: '==', to: ['!='], name: 'equality' },
  [ts.SyntaxKind.ExclamationEqualsToken]: { op: '!=', to: ['=='], name: 'equality' },
  [ts.SyntaxKind.AmpersandAmpersandToken]: { op: '&&', to: ['||'], name: 'logical' },
  [ts.SyntaxKind.BarBarToken]: { op: '||', to: ['&&'], name: 'logical' },
  [ts.SyntaxKind.QuestionQuestionToken]: { op: '??', to: ['&&'], name: 'nullish' },
  [ts.SyntaxKind.PlusToken]: { op: '+', to: ['-'], name: 'arithmetic' },
  [ts.SyntaxKind.MinusToken]: { op: '-', to: ['+'], name: 'arithmetic' },
  [ts.SyntaxKind.AsteriskToken]: { op: '*', to: ['/'], name: 'arithmetic' },
  [ts.SyntaxKind.SlashToken]: { op: '/', to: ['*'], name: 'arithmetic' },
  [ts.SyntaxKind.PercentToken]: { op: '%', to: ['*'], name: 'arithmetic' },
  [ts.SyntaxKind.PlusEqualsToken]: { op: '+=', to: ['-='], name: 'assignment' },
  [ts.SyntaxKind.MinusEqualsToken]: { op: '-=', to: ['+='], name: 'assignment' },
};

const METHOD_SWAPS: Record<string, string> = {
  some: 'every',
  every: 'some',
  startsWith: 'endsWith',
  endsWith: 'startsWith',
  min: 'max',
  max: 'min',
};

function isStringy(node: ts.Expression): boolean {
  return ts.isStringLiteral(node) || ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node);
}

/** A string literal whose value is structure, not behaviour: import paths, object keys, `in` checks... */
function isInertString(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): boolean {
  const p = node.parent;
  if (ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isExternalModuleReference(p)) return true;
  if (ts.isImportTypeNode(p) || ts.isLiteralTypeNode(p)) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p)) && p.name === node) return true;
  if (ts.isElementAccessExpression(p) && p.argumentExpression === node) return false;
  // 'use strict' and similar directives.
  if (ts.isExpressionStatement(p)) return true;
  return false;
}

export function listMutants(source: string, fileName = 'file.ts'): Mutant[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: Mutant[] = [];
  const add = (start: number, end: number, operator: string, replacement: string) => {
    const original = source.slice(start, end);
    if (original === replacement) return;
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    out.push({ line: line + 1, column: character + 1, operator, original, replacement, start, end });
  };
  const forceCondition = (cond: ts.Expression, kind: string) => {
    const start = cond.getStart(sf);
    if (cond.kind !== ts.SyntaxKind.TrueKeyword) add(start, cond.end, `${kind} condition`, 'true');
    if (cond.kind !== ts.SyntaxKind.FalseKeyword) add(start, cond.end, `${kind} condition`, 'false');
  };

  const visit = (node: ts.Node): void => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;

    if (ts.isBinaryExpression(node)) {
      const swap = BINARY_SWAPS[node.operatorToken.kind];
      const stringConcat = node.operatorToken.kind === ts.SyntaxKind.PlusToken && (isStringy(node.left) || isStringy(node.right));
      if (swap && !stringConcat) {
        for (const to of swap.to) add(node.operatorToken.getStart(sf), node.operatorToken.end, swap.name, to);
      }
    } else if (ts.isPrefixUnaryExpression(node)) {
      if (node.operator === ts.SyntaxKind.ExclamationToken) add(node.getStart(sf), node.operand.getStart(sf), 'negation removal', '');
      if (node.operator === ts.SyntaxKind.MinusToken && !ts.isNumericLiteral(node.operand)) {
        add(node.getStart(sf), node.operand.getStart(sf), 'unary minus removal', '');
      }
    } else if (node.kind === ts.SyntaxKind.TrueKeyword) {
      add(node.getStart(sf), node.end, 'boolean literal', 'false');
    } else if (node.kind === ts.SyntaxKind.FalseKeyword) {
      add(node.getStart(sf), node.end, 'boolean literal', 'true');
    } else if (ts.isIfStatement(node)) {
      forceCondition(node.expression, 'if');
    } else if (ts.isConditionalExpression(node)) {
      forceCondition(node.condition, 'ternary');
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (!isInertString(node)) {
        const quote = ts.isStringLiteral(node) ? "'" : '`';
        add(node.getStart(sf), node.end, 'string literal', node.text === '' ? `${quote}mutated${quote}` : `${quote}${quote}`);
      }
    } else if (ts.isNumericLiteral(node)) {
      const value = Number(node.text);
      if (Number.isFinite(value)) add(node.getStart(sf), node.end, 'number literal', String(value + 1));
    } else if (ts.isPropertyAccessExpression(node) && ts.isCallExpression(node.parent) && node.parent.expression === node) {
      const swapTo = METHOD_SWAPS[node.name.text];
      const isMath = ts.isIdentifier(node.expression) && node.expression.text === 'Math';
      const isMinMax = node.name.text === 'min' || node.name.text === 'max';
      if (swapTo && isMath === isMinMax) add(node.name.getStart(sf), node.name.end, 'method swap', swapTo);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The source text with one mutant applied. */
export function applyMutant(source: string, m: Mutant): string {
  return source.slice(0, m.start) + m.replacement + source.slice(m.end);
}
