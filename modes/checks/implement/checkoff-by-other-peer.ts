/**
 * `checkoff-by-other-peer`: a step counts as done only when a peer OTHER than its implementer
 * checked it off. The checkoff is the commit (since the run began) whose PLAN.md turned the step's
 * mark into [x] — the latest such commit; the implementers are whoever's tick made the step's
 * `(sha)` commit and every commit that changed a file the step touches since that file was last
 * covered by a checkoff that counted (the run's start when none), the checkoff commit included.
 * Only the last commit before the checkoff counted: the implementer checked off its own step
 * naming the other peer's one-line touch of the step's file as its `(sha)`, or wrote the step's
 * code in the checkoff commit itself (SECURITY.md, "A step is done only when another peer checked
 * it off"). Who made a commit is the loop's attestation (check-repo.ts), never a trailer or an
 * author name.
 */
import { baselineOrFail } from '../baseline-or-fail.ts';
import { OPERATOR, openCheckRepo } from '../check-repo.ts';
import type { Check } from '../types.ts';
import { planAt, PLAN_FILE } from './plan-at.ts';

/** Step id → whether it is checked ([x]) in a PLAN.md text (no validation: history may hold any plan). */
export function checkedSteps(text: string | undefined): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const m of (text ?? '').matchAll(/^-\s*\[([^\]]*)\]\s*\[(STEP-\d+)\]/gm)) out.set(m[2]!, m[1] === 'x' || m[1] === 'X');
  return out;
}

export const checkoffByOtherPeer: Check = {
  description: 'Every [x] step was checked off in the tick of a peer other than the one that implemented it.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'checkoff-by-other-peer: no commits yet' };
    const base = baselineOrFail(repo, 'checkoff-by-other-peer');
    if ('pass' in base) return base;
    const plan = planAt(repo, head);
    if ('error' in plan) return { pass: false, report: `checkoff-by-other-peer: ${plan.error}` };
    const atStart = checkedSteps(repo.fileAt(base.sha, PLAN_FILE));
    const checkoff = new Map<string, string>();
    /** Each PLAN.md commit's place in history (oldest first). */
    const position = new Map<string, number>();
    let prev = atStart;
    for (const c of repo.commits(`${base.sha}..${head}`, { paths: [PLAN_FILE] })) {
      position.set(c.sha, position.size);
      const marks = checkedSteps(repo.fileAt(c.sha, PLAN_FILE));
      for (const [id, done] of marks) if (done && !prev.get(id)) checkoff.set(id, c.sha);
      prev = marks;
    }
    const bad: string[] = [];
    let judged = 0;
    // Steps in the order they were checked off, so each file's changes are read from the last checkoff that covered it.
    const judgedSteps = plan.steps.filter((s) => s.state === 'done' && !atStart.get(s.id));
    judgedSteps.sort((a, b) => (position.get(checkoff.get(a.id) ?? '') ?? -1) - (position.get(checkoff.get(b.id) ?? '') ?? -1));
    const coveredAt = new Map<string, string>();
    for (const s of judgedSteps) {
      judged++;
      const where = `  ${PLAN_FILE}:${s.line}: ${s.id}`;
      const sha = checkoff.get(s.id);
      const checker = sha ? repo.peerOf(sha) : undefined;
      if (!sha || !checker) {
        bad.push(`${where} was checked off in ${sha ? `commit ${sha.slice(0, 8)}, which no peer's tick made` : 'no commit of this run'}`);
        continue;
      }
      const implementers = new Set<string>();
      const stepSha = s.sha ? repo.git(['rev-parse', '--verify', '--quiet', `${s.sha}^{commit}`]).stdout.trim() : '';
      if (stepSha) {
        const p = repo.peerOf(stepSha);
        if (p) implementers.add(p);
      }
      for (const path of s.touches) {
        // A coverage that is not behind this checkoff (another line of a merge) covers nothing of it.
        const from = coveredAt.get(path);
        const start = from && repo.git(['merge-base', '--is-ancestor', from, sha]).code === 0 ? from : base.sha;
        for (const c of repo.commits(`${start}..${sha}`, { paths: [path] })) {
          // An unattested change to the step's file is nobody's the checker can be told apart from: it is the checker's (fail closed).
          implementers.add(repo.peerOf(c.sha) ?? checker);
        }
      }
      implementers.delete(OPERATOR);
      if (implementers.has(checker)) {
        bad.push(`${where} was implemented and checked off by ${checker} (commit ${sha.slice(0, 8)}); the other peer must review it and check it off`);
        continue;
      }
      for (const path of s.touches) coveredAt.set(path, sha);
    }
    if (bad.length === 0) return { pass: true, report: `checkoff-by-other-peer: ${judged} step(s) checked off this run, each by a peer other than its implementer` };
    return { pass: false, report: ['checkoff-by-other-peer:', ...bad].join('\n') };
  },
};
