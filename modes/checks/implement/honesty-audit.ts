/**
 * `honesty-audit`: at the end, each peer says what is weakest in the delivery. HONESTY_AUDIT.md
 * needs a `## <peer>` section per peer that made a commit of the run (attested; `--peers a,b`
 * names them instead) with the sub-sections
 * `### Weakest part`, `### Likely uncaught bug` and `### Skipped or shortcut` (more than five words
 * each). A section counts only when every line of it was written in that peer's own ticks (blame
 * plus the loop's attestation: no peer writes another's confession) and after the last change to
 * anything but prose (.md/.txt), so an audit written before the code settled does not count.
 */
import { baselineOrFail } from '../baseline-or-fail.ts';
import { OPERATOR, openCheckRepo } from '../check-repo.ts';
import type { Check } from '../types.ts';

export const HONESTY_FILE = 'HONESTY_AUDIT.md';
export const REQUIRED_H3 = ['Weakest part', 'Likely uncaught bug', 'Skipped or shortcut'] as const;
const MIN_WORDS = 6;

/** A peer's section: its `### title` bodies (titles lower-cased) and the line numbers of its prose. */
export type PeerSection = { peer: string; h3: Map<string, string>; prose: number[] };

/** `## name` sections (1-based line range) with their `### title` bodies, titles lower-cased. */
export function peerSections(text: string): PeerSection[] {
  const lines = text.split('\n');
  const out: PeerSection[] = [];
  let cur: PeerSection | undefined;
  let h3: string | undefined;
  lines.forEach((line, i) => {
    const h2 = /^##\s+(\S.*?)\s*$/.exec(line);
    if (h2 && !line.startsWith('###')) {
      cur = { peer: h2[1]!, h3: new Map(), prose: [] };
      out.push(cur);
      h3 = undefined;
      return;
    }
    const t = /^###\s+(.+?)\s*$/.exec(line);
    if (t && cur) {
      h3 = t[1]!.toLowerCase();
      cur.h3.set(h3, '');
      return;
    }
    if (/^#\s/.test(line)) {
      cur = undefined;
      return;
    }
    if (cur && line.trim()) cur.prose.push(i + 1);
    if (cur && h3 !== undefined) cur.h3.set(h3, `${cur.h3.get(h3)} ${line}`.trim());
  });
  return out;
}

const isProse = (path: string) => /\.(md|txt)$/i.test(path);

export const honestyAudit: Check = {
  description: 'HONESTY_AUDIT.md has a complete section per peer, written by that peer after the last code change.',
  async run(repoDir, opts = {}) {
    const repo = openCheckRepo(repoDir);
    const head = repo.head();
    if (!head) return { pass: false, report: 'honesty-audit: no commits yet' };
    const base = baselineOrFail(repo, 'honesty-audit');
    if ('pass' in base) return base;
    const commits = repo.commits(`${base.sha}..${head}`);
    const peers = opts.peers?.length ? opts.peers : [...new Set(commits.map((c) => repo.peerOf(c.sha)).filter((p): p is string => p !== undefined && p !== OPERATOR))];
    if (peers.length === 0) return { pass: false, report: 'honesty-audit: no peer has made a commit in this run yet' };
    const text = repo.fileAt(head, HONESTY_FILE);
    if (text === undefined) return { pass: false, report: `honesty-audit: ${HONESTY_FILE} is not committed; when the work is done, each peer writes its own "## <name>" section with ${REQUIRED_H3.map((h) => `"### ${h}"`).join(', ')}` };
    const order = new Map(commits.map((c, i) => [c.sha, i]));
    let lastCode = -1;
    commits.forEach((c, i) => {
      if (repo.changedPaths(c.sha).some((p) => !isProse(p))) lastCode = i;
    });
    const blame = repo.blame(head, HONESTY_FILE);
    const sections = peerSections(text);
    const bad: string[] = [];
    for (const peer of peers) {
      const sec = sections.find((s) => s.peer.toLowerCase() === peer.toLowerCase());
      if (!sec) {
        bad.push(`  ${peer}: no "## ${peer}" section`);
        continue;
      }
      for (const h of REQUIRED_H3) {
        const body = sec.h3.get(h.toLowerCase());
        if (body === undefined) bad.push(`  ${peer}: no "### ${h}"`);
        else if (body.split(/\s+/).filter(Boolean).length < MIN_WORDS) bad.push(`  ${peer}: "### ${h}" says too little (${MIN_WORDS}+ words)`);
      }
      // Headings are structure anyone may write; the prose under them is the confession.
      const shas = new Set(sec.prose.map((n) => blame[n - 1]).filter((s): s is string => Boolean(s)));
      const others = [...shas].map((s) => repo.peerOf(s)).filter((p) => p?.toLowerCase() !== peer.toLowerCase());
      if (others.length) bad.push(`  ${peer}: lines of its section were written by ${[...new Set(others.map((p) => p ?? 'no peer'))].join(', ')}; each peer writes only its own section`);
      const newest = Math.max(...[...shas].map((s) => order.get(s) ?? -1));
      if (newest < lastCode) bad.push(`  ${peer}: its section predates the last code change (${commits[lastCode]!.sha.slice(0, 8)}); re-read the final code and update it`);
    }
    if (bad.length === 0) return { pass: true, report: `honesty-audit: ${peers.join(', ')} each wrote a complete, current section` };
    return { pass: false, report: [`honesty-audit: ${HONESTY_FILE}:`, ...bad].join('\n') };
  },
};
