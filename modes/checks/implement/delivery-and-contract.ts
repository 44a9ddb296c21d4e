/**
 * `delivery-report-complete` (DELIVERY.md accounts for every step) and `contracts-unchanged`
 * (the files the acceptance command runs are the bytes the operator pinned: `--pin path=blob`,
 * written by `peers init --plan` and changed only by `peers amend`).
 */
import { openCheckRepo } from '../check-repo.ts';
import type { Check } from '../types.ts';
import { planAt } from './plan-at.ts';

export const DELIVERY_FILE = 'DELIVERY.md';
const FIELDS = ['Commit', 'Tests', 'Justification'] as const;

/** `## [STEP-N] title` sections of DELIVERY.md with their `- **Field:** value` lines (first one wins). */
export function deliverySections(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const h = /^##\s*\[(STEP-\d+)\]\s*(.*?)\s*$/.exec(line);
    if (h) {
      current = {};
      out.set(h[1]!, current);
      continue;
    }
    if (/^##\s/.test(line)) current = undefined;
    const f = /^\s*-\s*\*\*(Commit|Tests|Justification):\*\*\s*(.*?)\s*$/.exec(line);
    if (f && current && !(f[1]! in current)) current[f[1]!] = f[2]!;
  }
  return out;
}

export const deliveryReportComplete: Check = {
  description: 'DELIVERY.md has a "## [STEP-N]" section with Commit, Tests and a Justification for every plan step.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'delivery-report: no commits yet' };
    const plan = planAt(repo, head);
    if ('error' in plan) return { pass: false, report: `delivery-report: ${plan.error}` };
    const text = repo.fileAt(head, DELIVERY_FILE);
    if (text === undefined) return { pass: false, report: `delivery-report: ${DELIVERY_FILE} is not committed; write one "## [STEP-N] <title>" section per step with - **Commit:**, - **Tests:** and - **Justification:**` };
    const sections = deliverySections(text);
    const bad: string[] = [];
    for (const s of plan.steps) {
      const sec = sections.get(s.id);
      if (!sec) {
        bad.push(`  ${s.id}: no "## [${s.id}] …" section`);
        continue;
      }
      const missing = FIELDS.filter((f) => sec[f] === undefined);
      if (missing.length) bad.push(`  ${s.id}: no ${missing.map((f) => `- **${f}:**`).join(', ')}`);
      else if (!sec.Justification!.trim()) bad.push(`  ${s.id}: the Justification is empty`);
    }
    if (bad.length === 0) return { pass: true, report: `delivery-report: all ${plan.steps.length} step(s) accounted for` };
    return { pass: false, report: [`delivery-report: ${DELIVERY_FILE}:`, ...bad].join('\n') };
  },
};

export const contractsUnchanged: Check = {
  description: 'Each --pin PATH=BLOB file is byte for byte the pinned blob at HEAD.',
  async run(repoDir, opts = {}) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'contracts-unchanged: no commits yet' };
    const pins = (opts.pins ?? []).map((p) => /^(.+)=([0-9a-f]{40}|[0-9a-f]{64})$/.exec(p));
    if (pins.some((p) => !p)) return { pass: false, report: 'contracts-unchanged: every --pin must be PATH=BLOB (a git blob id)' };
    const tree = new Map(repo.tree(head).map((e) => [e.path, e]));
    const bad: string[] = [];
    for (const m of pins) {
      const [, path, blob] = m!;
      const e = tree.get(path!);
      if (!e) bad.push(`  ${path}: deleted`);
      else if (e.mode === '120000') bad.push(`  ${path}: replaced by a symlink`);
      else if (e.blob !== blob) bad.push(`  ${path}: changed (pinned ${blob!.slice(0, 12)}, now ${e.blob.slice(0, 12)})`);
    }
    if (bad.length === 0) return { pass: true, report: `contracts-unchanged: ${pins.length} pinned file(s) intact` };
    return { pass: false, report: ['contracts-unchanged: the frozen acceptance contract was changed; restore it (git checkout <baseline> -- <path>), only the operator changes it (peers amend):', ...bad].join('\n') };
  },
};
