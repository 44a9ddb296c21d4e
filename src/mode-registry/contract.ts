/**
 * Implement mode's frozen acceptance contract: the acceptance (and e2e) command of the plan, the
 * files it runs pinned to their blob ids, and the [BLOCKED] steps the operator acknowledged. Its
 * one home is the goal program (goals.yaml), which the loop snapshots at start and the peers never
 * see: the goal `acceptance-pass` runs the command, `contracts-unchanged --pin PATH=BLOB` checks the
 * files, `plan-complete --acked STEP-N` accepts the blocks.
 *
 * `.peers/contracts.log` records every change (init, amend, ack-block) with the operator's reason,
 * as a hash chain whose last entry names the contract's digest. The loop refuses to start when the
 * goals' contract is not the one the log ends with (an edit that bypassed `peers amend`), and
 * refuses a turn that changes a pinned file (src/loop/shell/contract-guard.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, lstatSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { GoalsFile } from '../config/goals-schema.ts';
import { MiB, readTextIfExists } from '../fs/safe-read.ts';
import { PLAN_PATH } from './plan/plan-schema.ts';

export const CONTRACTS_LOG = 'contracts.log';
export const ACCEPTANCE_GOAL = 'acceptance-pass';
export const E2E_GOAL = 'e2e-pass';
export const PINS_GOAL = 'contracts-unchanged';
export const PLAN_GOAL = 'plan-complete';

export type Pin = { path: string; blob: string };
export type Contract = { acceptance: string; e2e?: string; pins: Pin[]; acked: string[] };

export function pinsArgs(pins: Pin[]): string {
  return pins.map((p) => ` --pin ${p.path}=${p.blob}`).join('');
}

export function ackedArgs(acked: string[]): string {
  return acked.map((s) => ` --acked ${s}`).join('');
}

/** Values of `--flag value` in a command written by pinsArgs/ackedArgs (tokens carry no spaces). */
function flagValues(cmd: string, flag: string): string[] {
  const tokens = cmd.trim().split(/\s+/);
  const out: string[] = [];
  tokens.forEach((t, i) => {
    if (t === flag && tokens[i + 1]) out.push(tokens[i + 1]!);
  });
  return out;
}

/** The contract a goal program carries, or undefined when it has no acceptance goal (not implement). */
export function contractFromGoals(goals: GoalsFile): Contract | undefined {
  const hard = new Map(goals.goals.filter((g) => g.type === 'hard').map((g) => [g.id, g.type === 'hard' ? g.cmd : '']));
  const acceptance = hard.get(ACCEPTANCE_GOAL);
  if (acceptance === undefined) return undefined;
  const pins = flagValues(hard.get(PINS_GOAL) ?? '', '--pin').map((v) => {
    const at = v.lastIndexOf('=');
    return { path: v.slice(0, at), blob: v.slice(at + 1) };
  });
  const e2e = hard.get(E2E_GOAL);
  return { acceptance, ...(e2e !== undefined ? { e2e } : {}), pins, acked: flagValues(hard.get(PLAN_GOAL) ?? '', '--acked') };
}

export function contractDigest(c: Contract): string {
  const canonical = JSON.stringify({ acceptance: c.acceptance, e2e: c.e2e ?? null, pins: [...c.pins].sort((a, b) => a.path.localeCompare(b.path)).map((p) => [p.path, p.blob]), acked: [...c.acked].sort() });
  return createHash('sha256').update(canonical).digest('hex');
}

export function isPinnablePath(path: string): boolean {
  return PLAN_PATH.test(path);
}

// ---- contracts.log: a hash chain of the operator's changes ---------------------------------------

const LOG_LINE = /^([0-9a-f]{16}) (\S+) (.*) \| state: ([0-9a-f]{64})$/;

export type LogEntry = { chain: string; ts: string; body: string; state: string; line: number };

function chainOf(prev: string, ts: string, body: string, state: string): string {
  return createHash('sha256').update(`${prev}${ts} ${body} | state: ${state}\n`).digest('hex').slice(0, 16);
}

/** Entries of the log, or the line where it stops being a valid chain. */
export function readContractsLog(text: string): { entries: LogEntry[] } | { error: string } {
  const entries: LogEntry[] = [];
  let prev = 'genesis';
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const m = LOG_LINE.exec(lines[i]!);
    if (!m) return { error: `${CONTRACTS_LOG}:${i + 1}: not a log entry` };
    const [, chain, ts, body, state] = m as unknown as [string, string, string, string, string];
    if (chainOf(prev, ts, body, state) !== chain) return { error: `${CONTRACTS_LOG}:${i + 1}: the chain is broken (an entry was edited, removed or reordered)` };
    entries.push({ chain, ts, body, state, line: i + 1 });
    prev = chain;
  }
  if (entries.length === 0) return { error: `${CONTRACTS_LOG} is empty` };
  return { entries };
}

export function contractsLogLine(prevChain: string | undefined, body: string, state: string, now = new Date()): { line: string; chain: string } {
  const ts = now.toISOString();
  const flat = body.replace(/[\r\n]+/g, ' ').trim();
  const chain = chainOf(prevChain ?? 'genesis', ts, flat, state);
  return { line: `${chain} ${ts} ${flat} | state: ${state}\n`, chain };
}

/** Appends an entry (fsync'd by the append of a whole line; the log is append-only). */
export function appendContractsLog(path: string, body: string, contract: Contract, now = new Date()): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new Error(`${path} is not a regular file`);
  const text = st ? (readTextIfExists(path, MiB) ?? '') : '';
  const read = text ? readContractsLog(text) : { entries: [] as LogEntry[] };
  if ('error' in read) throw new Error(read.error);
  appendFileSync(path, contractsLogLine(read.entries.at(-1)?.chain, body, contractDigest(contract), now).line, { mode: 0o600 });
}

/** Why the goal program's contract is not the one the log ends with, or undefined when it is. */
export function contractLogProblem(logText: string | undefined, contract: Contract): string | undefined {
  if (logText === undefined) return `goals.yaml carries an acceptance contract but .peers/${CONTRACTS_LOG} is missing`;
  const read = readContractsLog(logText);
  if ('error' in read) return read.error;
  const last = read.entries.at(-1)!;
  if (last.state !== contractDigest(contract)) return `the acceptance contract in goals.yaml (${ACCEPTANCE_GOAL}, ${PINS_GOAL}, ${PLAN_GOAL}) is not the one .peers/${CONTRACTS_LOG}:${last.line} records`;
  return undefined;
}

// ---- rewriting the contract goals in goals.yaml, comments kept ----------------------------------

function goalNode(doc: Document, id: string) {
  const goals = doc.get('goals');
  if (!isSeq(goals)) return undefined;
  return goals.items.find((g) => isMap(g) && g.get('id') === id);
}

/** goals.yaml text with the contract goals' commands set to `c` (the goals must exist). */
export function withContract(goalsText: string, c: Contract): string {
  const doc = parseDocument(goalsText);
  const set = (id: string, cmd: string) => {
    const node = goalNode(doc, id);
    if (!isMap(node)) throw new Error(`goals.yaml has no goal "${id}"`);
    const current = node.get('cmd', true);
    if (isScalar(current)) current.value = cmd;
    else node.set('cmd', cmd);
  };
  set(ACCEPTANCE_GOAL, c.acceptance);
  if (c.e2e !== undefined) set(E2E_GOAL, c.e2e);
  if (goalNode(doc, PINS_GOAL)) set(PINS_GOAL, `peers check ${PINS_GOAL}${pinsArgs(c.pins)}`);
  if (goalNode(doc, PLAN_GOAL)) set(PLAN_GOAL, `peers check ${PLAN_GOAL}${ackedArgs(c.acked)}`);
  return doc.toString({ lineWidth: 0 });
}
