/**
 * `checkoff-by-other-peer`: a step counts as done only when a peer OTHER than its implementer
 * checked it off. The checkoff is the commit (since the run began) whose PLAN.md turned the step's
 * mark into [x] — the latest such commit; the implementers are whoever's tick made the step's
 * `(sha)` commit and every commit that changed a file the step touches since that file was last
 * covered by a checkoff that counted (the run's start when none), the checkoff commit included —
 * except the checker's own changes before the step's commit that a counted checkoff by another peer
 * covers: another step's work on a shared file, or each peer checking off the other's step held forever.
 * Only the last commit before the checkoff counted: the implementer checked off its own step
 * naming the other peer's one-line touch of the step's file as its `(sha)`, or wrote the step's
 * code in the checkoff commit itself (SECURITY.md, "A step is done only when another peer checked
 * it off"). Who made a commit is the loop's attestation (check-repo.ts), never a trailer or an
 * author name.
 */
import { baselineOrFail } from '../baseline-or-fail.ts';
import { type CheckRepo, OPERATOR, openCheckRepo } from '../check-repo.ts';
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
    // Steps in the order they were checked off, so each file's changes are read from the last checkoff that covered it.
    const judgedSteps = plan.steps.filter((s) => s.state === 'done' && !atStart.get(s.id));
    judgedSteps.sort((a, b) => (position.get(checkoff.get(a.id) ?? '') ?? -1) - (position.get(checkoff.get(b.id) ?? '') ?? -1));
    const bad = new Map<string, string>();
    const judged: Judged[] = [];
    for (const s of judgedSteps) {
      const where = `  ${PLAN_FILE}:${s.line}: ${s.id}`;
      const sha = checkoff.get(s.id);
      const checker = sha ? repo.peerOf(sha) : undefined;
      if (!sha || !checker) {
        bad.set(s.id, `${where} was checked off in ${sha ? `commit ${sha.slice(0, 8)}, which no peer's tick made` : 'no commit of this run'}`);
        continue;
      }
      const stepSha = s.sha ? repo.git(['rev-parse', '--verify', '--quiet', `${s.sha}^{commit}`]).stdout.trim() : '';
      judged.push({ id: s.id, where, sha, checker, stepSha, touches: s.touches });
    }
    // A checker's change before the step's commit is another step's work only when a peer other than
    // the checker counted a checkoff over it; that checkoff may come later (each peer checks off the
    // other's step), so the counted set is the largest one every member of which holds (SECURITY.md,
    // "A step is done only when another peer checked it off").
    let counted = new Set(judged.map((j) => j.id));
    const history = rememberedHistory(repo);
    for (;;) {
      const refused = judged.filter((j) => counted.has(j.id) && !holds(history, base.sha, j, judged.filter((o) => counted.has(o.id))));
      if (refused.length === 0) break;
      for (const j of refused) counted.delete(j.id);
    }
    for (const j of judged) {
      if (!counted.has(j.id)) bad.set(j.id, `${j.where} was implemented and checked off by ${j.checker} (commit ${j.sha.slice(0, 8)}); the other peer must review it and check it off`);
    }
    if (bad.size === 0) return { pass: true, report: `checkoff-by-other-peer: ${judgedSteps.length} step(s) checked off this run, each by a peer other than its implementer` };
    return { pass: false, report: ['checkoff-by-other-peer:', ...judgedSteps.flatMap((s) => bad.get(s.id) ?? [])].join('\n') };
  },
};

/** A step checked off by an attested peer: its checkoff commit, checker, resolved `(sha)` commit and files. */
interface Judged {
  id: string;
  where: string;
  sha: string;
  checker: string;
  stepSha: string;
  touches: string[];
}

/** What holds asks of history: each answer read from git once, though a round that refuses a checkoff asks again. */
type History = Pick<CheckRepo, 'peerOf'> & { changesTo(range: string, path: string): string[]; isAncestor(ancestor: string, descendant: string): boolean };

function rememberedHistory(repo: CheckRepo): History {
  const changes = new Map<string, string[]>();
  const ancestry = new Map<string, boolean>();
  const once = <T>(memo: Map<string, T>, key: string, read: () => T): T => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key)!;
  };
  return {
    peerOf: (sha) => repo.peerOf(sha),
    changesTo: (range, path) => once(changes, `${range}\0${path}`, () => repo.commits(range, { paths: [path] }).map((c) => c.sha)),
    isAncestor: (a, d) => once(ancestry, `${a}\0${d}`, () => repo.isAncestor(a, d)),
  };
}

/**
 * Whether `j`'s checker is none of its implementers, given the checkoffs that count (`counted`, in
 * history order): the peer of the step's commit, and of every change to its files since the last
 * counted checkoff before it that covered the file, except the checker's own changes made before the
 * step's commit that a counted checkoff by another peer covers (another step's work on a shared file).
 */
function holds(repo: History, baseSha: string, j: Judged, counted: Judged[]): boolean {
  const implementers = new Set<string>();
  if (j.stepSha) {
    const p = repo.peerOf(j.stepSha);
    if (p) implementers.add(p);
  }
  const earlier = counted.slice(0, counted.findIndex((o) => o.id === j.id));
  for (const path of j.touches) {
    // A coverage that is not behind this checkoff (another line of a merge) covers nothing of it.
    const from = earlier.filter((o) => o.touches.includes(path)).at(-1)?.sha;
    const start = from && repo.isAncestor(from, j.sha) ? from : baseSha;
    for (const sha of repo.changesTo(`${start}..${j.sha}`, path)) {
      // An unattested change to the step's file is nobody's the checker can be told apart from: it is the checker's (fail closed).
      const writer = repo.peerOf(sha);
      if (!writer) {
        implementers.add(j.checker);
        continue;
      }
      const otherStepsWork =
        writer === j.checker &&
        j.stepSha !== '' &&
        sha !== j.stepSha &&
        repo.isAncestor(sha, j.stepSha) &&
        counted.some((o) => o.checker !== writer && o.touches.includes(path) && repo.isAncestor(sha, o.sha));
      if (!otherStepsWork) implementers.add(writer);
    }
  }
  implementers.delete(OPERATOR);
  return !implementers.has(j.checker);
}
