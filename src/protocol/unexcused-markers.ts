/**
 * The test markers in `base..head` that no peer other than their author stands behind: a test
 * skipped, focused, commented out, deleted or moved away, and code outside the tests that sniffs
 * or meddles with the test run (test-markers.ts), each excused only as escape-valves.ts says. One
 * rule for the `no-new-skip-markers` check and the loop's own convergence: the loop holds a run
 * whose history has one whatever the goals file says, since `peers init` writes no such check and
 * a `NODE_TEST_CONTEXT` probe in the code ended such a run `complete` (SECURITY.md, "Done means
 * done", "Test markers hold the run whatever the goals say"). Fails closed: a range git cannot
 * diff is reported as an error, never as clean.
 */
import { listCommits } from '../git/commits.ts';
import { git } from '../git/git.ts';
import { readAttestationView } from './attestation.ts';
import { attributeFindings, judgeMarkerFindings, removalJustifications, type Verdict } from './escape-valves.ts';
import { scanRangeForTestMarkers, type MarkerFinding } from './test-markers.ts';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export type UnexcusedMarkers = { ok: true; net: number; bad: Verdict[] } | { ok: false; error: string };

/** First parent (a merge is judged against the line it was merged into); the empty tree for a root. */
function parentOf(repo: string, sha: string): string {
  const res = git(repo, ['rev-parse', '--verify', '--quiet', `${sha}^1`]);
  return res.code === 0 ? res.stdout.trim() : EMPTY_TREE;
}

/**
 * `memo` keeps each commit's own findings (a commit never changes): the loop asks again at every
 * new HEAD and reads only the commits it has not read yet.
 */
export function unexcusedMarkers(repo: string, base: string | undefined, head = 'HEAD', memo?: Map<string, MarkerFinding[]>): UnexcusedMarkers {
  // No base (a run that started before the repository's first commit): every commit is the run's.
  const from = base ?? EMPTY_TREE;
  const net = scanRangeForTestMarkers(repo, from, head);
  if (!net) return { ok: false, error: `git cannot diff ${from.slice(0, 8)}..${head === 'HEAD' ? 'HEAD' : head.slice(0, 8)}, so no marker can be ruled out` };
  if (net.length === 0) return { ok: true, net: 0, bad: [] };
  const commits = listCommits(repo, base ? `${base}..${head}` : head);
  const perCommit: { sha: string; findings: MarkerFinding[] }[] = [];
  for (const c of commits) {
    let findings = memo?.get(c.sha);
    if (!findings) {
      findings = scanRangeForTestMarkers(repo, parentOf(repo, c.sha), c.sha);
      if (!findings) return { ok: false, error: `git cannot diff commit ${c.sha.slice(0, 8)}, so its markers cannot be judged` };
      memo?.set(c.sha, findings);
    }
    perCommit.push({ sha: c.sha, findings });
  }
  const verdicts = judgeMarkerFindings(attributeFindings(net, perCommit), removalJustifications(commits), readAttestationView(repo, base, head));
  return { ok: true, net: net.length, bad: verdicts.filter((v) => !v.excused) };
}
