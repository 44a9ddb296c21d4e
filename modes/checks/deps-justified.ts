/**
 * `deps-justified`: every dependency a manifest declares at HEAD that it did not declare at the
 * run's start (package.json, requirements*.txt, pyproject.toml, Cargo.toml, go.mod, anywhere in the
 * tree) is disclosed by a line `Dependency-Justification: <name>: <why>` in a commit since then,
 * written by a peer other than the ones that added it, or approved by one (check-repo.ts).
 */
import { declaredDependencies, justificationsIn, manifestKind, namesMatch, type Justification } from '../../src/mode-registry/dependency-manifests.ts';
import { authorsOf, baselineOrFail, describeBaseline, notVouchedWhy } from './baseline-or-fail.ts';
import { openCheckRepo } from './check-repo.ts';
import type { Check } from './types.ts';
import { shownName } from '../../src/cli/terminal-text.ts';

const REASON_MIN = 10;

export const depsJustified: Check = {
  description: 'Every dependency added since the run began has a Dependency-Justification line that another peer wrote or approved.',
  async run(repoDir) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: true, report: 'deps-justified: no commits yet' };
    const base = baselineOrFail(repo, 'deps-justified');
    if ('pass' in base) return base;
    const range = `${base.sha}..${head}`;
    const manifests = (sha: string) => repo.tree(sha).filter((e) => e.mode !== '120000' && manifestKind(e.path));
    const now = manifests(head);
    const then = new Map(manifests(base.sha).map((e) => [e.path, e.blob]));
    const texts = repo.blobs([...now.map((e) => e.blob), ...then.values()]);
    const added: Array<{ path: string; name: string }> = [];
    for (const e of now) {
      if (then.get(e.path) === e.blob) continue;
      const before = then.has(e.path) ? declaredDependencies(e.path, texts.get(then.get(e.path)!) ?? '') : new Set<string>();
      for (const name of declaredDependencies(e.path, texts.get(e.blob) ?? '')) if (!before.has(name)) added.push({ path: e.path, name });
    }
    if (added.length === 0) return { pass: true, report: `deps-justified: no dependency added since ${describeBaseline(base)}` };
    const justs: Justification[] = repo.commits(range).flatMap((c) => justificationsIn(c.sha, c.message)).filter((j) => j.reason.length >= REASON_MIN);
    const bad: string[] = [];
    for (const dep of added) {
      const owners = authorsOf(repo, range, dep.path);
      const candidates = justs.filter((j) => namesMatch(j.name, dep.name));
      const ok = candidates.map((j) => ({ j, v: repo.vouched(j.sha, owners) })).find((x) => x.v.counts);
      if (ok) continue;
      const first = candidates[0];
      const v = first ? repo.vouched(first.sha, owners) : undefined;
      const why = first && v && !v.counts ? notVouchedWhy(first.sha, v.writer) : `no "Dependency-Justification: ${dep.name}: <why, ${REASON_MIN}+ characters>" line in any commit since the run began`;
      bad.push(`  ${shownName(dep.path)}: ${dep.name} — ${why}`);
    }
    if (bad.length === 0) return { pass: true, report: `deps-justified: ${added.length} dependency(ies) added since ${describeBaseline(base)}, each justified` };
    return { pass: false, report: [`deps-justified: ${bad.length} undisclosed dependency(ies) added since ${describeBaseline(base)}:`, ...bad].join('\n') };
  },
};
