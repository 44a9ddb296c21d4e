/**
 * PLAN.md → Plan. The Markdown is read line by line into a raw object (remembering the line of
 * every field), then validated by the zod schemas of plan-schema.ts; every problem comes back as
 * `file:line: message`, all of them at once.
 *
 *     # Feature name
 *     ## Meta
 *     surfaces: [cli]
 *     acceptance: node --test test/acceptance.test.js
 *     acceptance_files: [test/acceptance.test.js]
 *     ## Steps
 *     - [ ] [STEP-1] Parse the input (abc1234)
 *       - touches: src/parse.js, test/parse.test.js
 *       - depends: STEP-2
 *
 * Marks: `[ ]` open, `[x]` done, `[PARTIAL]` in flight, `[BLOCKED]` cannot be done as written (only
 * the operator acknowledges a block, with `peers ack-block`: a mark in the file never does).
 */
import type { z } from 'zod';
import { PlanSchema, stepRuleIssues, type Plan, type StepState } from './plan-schema.ts';

export type PlanIssue = { line: number; message: string };
export type PlanResult = { ok: true; plan: Plan } | { ok: false; issues: PlanIssue[] };

const STEP_LINE = /^-\s*\[([^\]]*)\]\s*\[([^\]]+)\]\s*(.*?)\s*$/;
const SUB_KEY = /^\s+-\s*([a-z_][a-z0-9_]*)\s*:\s*(.*?)\s*$/;
const META_KEY = /^([a-z_][a-z0-9_]*)\s*:\s*(.*?)\s*$/;
const TRAILING_SHA = /^(.+?)\s*\(([0-9a-f]{7,40})\)$/;
const MARKS: Record<string, StepState> = { ' ': 'open', '': 'open', x: 'done', X: 'done', PARTIAL: 'partial', BLOCKED: 'blocked' };
const LIST_KEYS = new Set(['surfaces', 'acceptance_files', 'touches', 'depends']);
const BOOL_KEYS = new Set(['trivial', 'trivial_step', 'pure_refactor', 'pure_documentation']);
/** Values that are shell commands keep a `#`; elsewhere ` # …` is a comment. */
const COMMAND_KEYS = new Set(['acceptance', 'e2e']);
const KNOWN_SECTIONS = new Map([['meta', 'meta'], ['steps', 'steps'], ['architecture', 'architecture'], ['input domains', 'input_domains']]);

export function parseList(value: string): string[] {
  const inner = /^\[(.*)\]$/.exec(value.trim())?.[1] ?? value;
  return inner.split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')).filter(Boolean);
}

function parseBool(value: string): boolean | string {
  const v = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0', ''].includes(v)) return false;
  return value;
}

type Raw = { title?: string; meta: Record<string, unknown>; steps: Array<Record<string, unknown>>; architecture: string[]; input_domains: string[] };

export function parsePlan(text: string): PlanResult {
  const issues: PlanIssue[] = [];
  const lineOf = new Map<string, number>();
  const raw: Raw = { meta: {}, steps: [], architecture: [], input_domains: [] };
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const seen = new Set<string>();
  let section: string | undefined;
  let titleLine = 0;
  let step: Record<string, unknown> | undefined;

  lines.forEach((line, i) => {
    const n = i + 1;
    if (raw.title === undefined) {
      if (!line.trim()) return;
      const t = /^#\s+(.+?)\s*$/.exec(line);
      if (!t) issues.push({ line: n, message: 'PLAN.md must start with "# <Feature name>"' });
      raw.title = t?.[1] ?? '';
      titleLine = n;
      if (t) return;
    }
    const heading = /^##\s+(.+?)\s*$/.exec(line);
    if (heading && !line.startsWith('###')) {
      const name = heading[1]!.toLowerCase();
      if (seen.has(name)) issues.push({ line: n, message: `duplicate section "## ${heading[1]}"` });
      seen.add(name);
      section = KNOWN_SECTIONS.get(name) ?? 'other';
      lineOf.set(section, n);
      step = undefined;
      return;
    }
    if (/^#\s/.test(line)) {
      section = undefined;
      return;
    }
    if (section === 'meta') {
      if (!line.trim() || line.trim().startsWith('<!--')) return;
      const m = META_KEY.exec(line);
      if (!m) return void issues.push({ line: n, message: `not a "key: value" line in Meta: ${line.trim().slice(0, 80)}` });
      const key = m[1]!;
      let value = m[2]!;
      if (!COMMAND_KEYS.has(key)) value = value.replace(/\s+#\s.*$/, '');
      if (key in raw.meta) issues.push({ line: n, message: `Meta key "${key}" given twice` });
      raw.meta[key] = LIST_KEYS.has(key) ? parseList(value) : key === 'convergence_n' ? (/^\d+$/.test(value) ? Number(value) : value) : value;
      lineOf.set(`meta.${key}`, n);
    } else if (section === 'steps') {
      const s = STEP_LINE.exec(line);
      if (s) {
        const mark = s[1]!;
        if (!(mark in MARKS)) {
          const why = mark === 'BLOCKED-ACK' ? 'only the operator acknowledges a block, with `peers ack-block STEP-N --reason …`' : 'use [ ], [x], [PARTIAL] or [BLOCKED]';
          issues.push({ line: n, message: `unknown mark [${mark}]: ${why}` });
        }
        let textPart = s[3]!;
        const sha = TRAILING_SHA.exec(textPart);
        step = { id: s[2]!.trim(), state: MARKS[mark] ?? 'open', text: sha ? sha[1]! : textPart, line: n, ...(sha ? { sha: sha[2]! } : {}) };
        raw.steps.push(step);
        lineOf.set(`steps.${raw.steps.length - 1}`, n);
        return;
      }
      const sub = SUB_KEY.exec(line);
      if (sub && step) {
        const key = sub[1] === 'trivial_step' ? 'trivial' : sub[1]!;
        const value = sub[2]!.replace(/\s+#\s.*$/, '');
        step[key] = LIST_KEYS.has(key) ? parseList(value) : BOOL_KEYS.has(sub[1]!) ? parseBool(value) : value;
        lineOf.set(`steps.${raw.steps.length - 1}.${key}`, n);
        return;
      }
      if (/^-\s*\[/.test(line)) issues.push({ line: n, message: 'not a step line: write "- [ ] [STEP-N] what the step delivers"' });
    } else if (section === 'architecture' || section === 'input_domains') {
      const b = /^\s*[-*]\s+(.+?)\s*$/.exec(line);
      if (b) raw[section].push(b[1]!);
    }
  });

  if (raw.title === undefined) return { ok: false, issues: [{ line: 1, message: 'PLAN.md is empty: it must start with "# <Feature name>"' }] };
  for (const [name, heading] of [['meta', 'Meta'], ['steps', 'Steps']] as const) {
    if (!lineOf.has(name)) issues.push({ line: lines.length, message: `missing section "## ${heading}"` });
  }
  const result = PlanSchema.safeParse(raw);
  if (result.success && issues.length === 0) return { ok: true, plan: result.data };
  const found = new Set(issues.map((i) => `${i.line}\0${i.message}`));
  const add = (issue: PlanIssue) => {
    const key = `${issue.line}\0${issue.message}`;
    if (!found.has(key)) issues.push(issue);
    found.add(key);
  };
  if (!result.success) {
    // A missing section is reported once, not once per key it would have held.
    const missing = new Set(['meta', 'steps'].filter((name) => !lineOf.has(name)));
    for (const issue of result.error.issues) if (!missing.has(String(issue.path[0]))) add({ line: issueLine(issue, lineOf, titleLine), message: issueMessage(issue) });
    // zod skips the rules between steps while a step is malformed: apply them to what was read.
    const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    const steps = raw.steps.map((s) => ({ id: String(s.id), touches: list(s.touches), depends: list(s.depends), trivial: s.trivial === true, pure_documentation: s.pure_documentation === true }));
    for (const r of stepRuleIssues(steps)) add({ line: lineOf.get(`steps.${r.index}.${r.field}`) ?? lineOf.get(`steps.${r.index}`) ?? titleLine, message: r.message });
  }
  return { ok: false, issues: issues.sort((a, b) => a.line - b.line) };
}

function issueLine(issue: z.core.$ZodIssue, lineOf: Map<string, number>, titleLine: number): number {
  const path = issue.path.map(String);
  if (path[0] === 'meta') return lineOf.get(`meta.${path[1]}`) ?? lineOf.get('meta') ?? titleLine;
  if (path[0] === 'steps') {
    if (path.length === 1) return lineOf.get('steps') ?? titleLine;
    if (issue.code === 'unrecognized_keys') return lineOf.get(`steps.${path[1]}.${issue.keys[0]}`) ?? lineOf.get(`steps.${path[1]}`) ?? titleLine;
    return lineOf.get(`steps.${path[1]}.${path[2]}`) ?? lineOf.get(`steps.${path[1]}`) ?? lineOf.get('steps') ?? titleLine;
  }
  return titleLine;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  const where = path[0] === 'meta' && path[1] ? `${path[1]}: ` : path[0] === 'steps' && path[2] ? `${path[2]}: ` : '';
  if (issue.code === 'invalid_type' && issue.input === undefined && path[0] === 'meta') return `Meta needs "${path[1]}:"${path[1] === 'surfaces' ? ' (e.g. surfaces: [cli])' : path[1] === 'acceptance' ? ' (the command that passes once the feature is done)' : ''}`;
  if (issue.code === 'unrecognized_keys') return `unknown step key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (known: touches, depends, rationale, trivial, pure_refactor, pure_documentation)`;
  return `${where}${issue.message}`;
}

export function formatPlanIssues(file: string, issues: PlanIssue[]): string {
  return issues.map((i) => `${file}:${i.line}: ${i.message}`).join('\n');
}
