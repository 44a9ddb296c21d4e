/**
 * Linear-time regex search (Thompson NFA simulation, the idea behind RE2). JavaScript's own RegExp
 * backtracks, so `(a+)+$` against a long run of 'a's would hang the loop; this matcher visits each
 * (input position, program instruction) pair at most once, so its cost is bounded by
 * input length × program size, and a step budget caps even that product.
 */
import { isWordChar, parseRegex, type AssertKind, type CharTest, type RegexNode } from './syntax.ts';

type Inst =
  | { op: 'char'; test: CharTest }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'assert'; kind: AssertKind; multiline: boolean; ascii: boolean }
  | { op: 'match' };

export const MAX_PROGRAM_SIZE = 20_000;
/** Thread steps per search: ~1 s of work; far above any real gate pattern on 1 MiB of output. */
export const DEFAULT_STEP_BUDGET = 100_000_000;

export class RegexBudgetError extends Error {
  constructor() {
    super('regex() exceeded its evaluation budget (pattern too complex for this much input)');
    this.name = 'RegexBudgetError';
  }
}

export type CompiledRegex = { search(text: string): boolean };

export function compileRegex(pattern: string, stepBudget = DEFAULT_STEP_BUDGET): CompiledRegex {
  const { node } = parseRegex(pattern);
  const prog: Inst[] = [];
  emit(node, prog);
  prog.push({ op: 'match' });
  const anchored = startsAnchored(node);
  return { search: (text) => run(prog, anchored, text, stepBudget) };
}

function emit(node: RegexNode, prog: Inst[]): void {
  if (prog.length > MAX_PROGRAM_SIZE) {
    throw new Error(`regex too large once repetitions are expanded (over ${MAX_PROGRAM_SIZE} instructions)`);
  }
  switch (node.t) {
    case 'empty':
      return;
    case 'char':
      prog.push({ op: 'char', test: node.test });
      return;
    case 'assert':
      prog.push({ op: 'assert', kind: node.kind, multiline: node.multiline, ascii: node.ascii ?? false });
      return;
    case 'cat':
      for (const item of node.items) emit(item, prog);
      return;
    case 'alt': {
      // split L1, next; L1: a; jmp end; next: split L2, ... ; last
      const jumps: Inst[] = [];
      node.items.forEach((item, i) => {
        if (i < node.items.length - 1) {
          const split = { op: 'split', x: prog.length + 1, y: 0 } as Inst & { op: 'split' };
          prog.push(split);
          emit(item, prog);
          const jmp = { op: 'jmp', x: 0 } as Inst & { op: 'jmp' };
          prog.push(jmp);
          jumps.push(jmp);
          split.y = prog.length;
        } else emit(item, prog);
      });
      for (const j of jumps) (j as { x: number }).x = prog.length;
      return;
    }
    case 'repeat': {
      for (let i = 0; i < node.min; i++) emit(node.node, prog);
      if (node.max === Infinity) {
        const loop = prog.length;
        const split = { op: 'split', x: loop + 1, y: 0 } as Inst & { op: 'split' };
        prog.push(split);
        emit(node.node, prog);
        prog.push({ op: 'jmp', x: loop });
        split.y = prog.length;
        return;
      }
      const splits: (Inst & { op: 'split' })[] = [];
      for (let i = node.min; i < node.max; i++) {
        const split = { op: 'split', x: prog.length + 1, y: 0 } as Inst & { op: 'split' };
        prog.push(split);
        splits.push(split);
        emit(node.node, prog);
      }
      for (const s of splits) s.y = prog.length;
      return;
    }
  }
}

/** A pattern that can only match at position 0 lets the search stop as soon as no thread is alive. */
function startsAnchored(node: RegexNode): boolean {
  const first = node.t === 'cat' ? node.items[0] : node;
  return first?.t === 'assert' && (first.kind === 'bos' || (first.kind === 'bol' && !first.multiline));
}

function toCodePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out[n++] = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

function run(prog: Inst[], anchored: boolean, text: string, budget: number): boolean {
  const cps = toCodePoints(text);
  const n = cps.length;
  const mark = new Int32Array(prog.length).fill(-1);
  let clist = new Int32Array(prog.length);
  let nlist = new Int32Array(prog.length);
  let ccount = 0;
  let ncount = 0;
  const stack = new Int32Array(prog.length * 2 + 2);
  let steps = 0;

  const holds = (kind: AssertKind, multiline: boolean, ascii: boolean, pos: number): boolean => {
    const prev = pos > 0 ? cps[pos - 1]! : -1;
    const cur = pos < n ? cps[pos]! : -1;
    switch (kind) {
      case 'bos':
        return pos === 0;
      case 'eos':
        return pos === n;
      case 'bol':
        return pos === 0 || (multiline && prev === 10);
      case 'eol':
        return pos === n || (multiline ? cur === 10 : pos === n - 1 && cur === 10);
      case 'word':
      case 'nonword': {
        const boundary = (prev >= 0 && isWordChar(prev, ascii)) !== (cur >= 0 && isWordChar(cur, ascii));
        return kind === 'word' ? boundary : !boundary;
      }
    }
  };

  /** Adds pc and everything reachable from it without consuming input; true if it reaches match. */
  const add = (list: Int32Array, count: number, pc0: number, pos: number): [number, boolean] => {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === pos) continue;
      mark[pc] = pos;
      if (++steps > budget) throw new RegexBudgetError();
      const inst = prog[pc]!;
      switch (inst.op) {
        case 'match':
          return [count, true];
        case 'char':
          list[count++] = pc;
          break;
        case 'jmp':
          stack[sp++] = inst.x;
          break;
        case 'split':
          stack[sp++] = inst.y;
          stack[sp++] = inst.x;
          break;
        case 'assert':
          if (holds(inst.kind, inst.multiline, inst.ascii, pos)) stack[sp++] = pc + 1;
          break;
      }
    }
    return [count, false];
  };

  let found: boolean;
  [ccount, found] = add(clist, 0, 0, 0);
  if (found) return true;
  for (let pos = 0; pos < n; pos++) {
    const cp = cps[pos]!;
    ncount = 0;
    for (let i = 0; i < ccount; i++) {
      const inst = prog[clist[i]!]! as { op: 'char'; test: CharTest };
      if (++steps > budget) throw new RegexBudgetError();
      if (inst.test(cp)) {
        [ncount, found] = add(nlist, ncount, clist[i]! + 1, pos + 1);
        if (found) return true;
      }
    }
    if (!anchored) {
      // Unanchored search: a new attempt may start at every position.
      [ncount, found] = add(nlist, ncount, 0, pos + 1);
      if (found) return true;
    } else if (ncount === 0) return false;
    [clist, nlist] = [nlist, clist];
    ccount = ncount;
  }
  return false;
}
