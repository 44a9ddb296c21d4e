/**
 * The escape valves a commit MESSAGE carries: what another peer's approval of that commit
 * (`Peer-Review-Of: <sha>`, approvals.ts) vouches for besides the commit's diff. CHANGES leave
 * commit messages out, so a request to approve a commit that names only its files asks the
 * approver to vouch for lines it was never shown: the implementer deferred the bug filed against
 * its special case in a commit that also added a test file, the reviewer approved that commit's
 * "test file added", and the approval closed the bug (SECURITY.md, "Escape valves need another
 * peer"). Every approval request lists these lines (convergence-facts.ts).
 */
import { listCommits, type Commit } from '../git/commits.ts';
import { OPERATOR, SUBSTRATE_PEER, type AttestationView } from './approvals.ts';
import { resolutionStatusOf } from './bug-ledger.ts';

/**
 * Message lines an approval makes count (escape-valves.ts, anti-cheat.ts, bug-ledger.ts,
 * bug-tdd.ts, modes/checks): the key anywhere in the line, in any case, a superset of what each
 * reader accepts (anti-cheat.ts finds `JUSTIFIED-TEST-ONLY:` mid-line).
 */
const VALVE_LINE = /(JUSTIFIED-TEST-ONLY|JUSTIFIED-TEST-REMOVAL|Bug-Defer|Bug-Reproduce-Waive|Breaking-API|Dependency-Justification|Diff-Size-Waive)[ \t]*:/i;
const BUG_RESOLVES = /^[ \t]*Bug-Resolves[ \t]*:[ \t]*(\S+)/i;
const LINE_MAX = 160;
const SHOWN_MAX = 6;

/**
 * The valve lines of a message, in order, each from its key on (text before a key mid-line could
 * push it past the cut) and cut at 160 characters; a `Bug-Resolves` only when it records anything
 * but `fixed` (a deferral closes the bug on an approval).
 */
export function messageValves(c: Pick<Commit, 'message'>): string[] {
  const out: string[] = [];
  for (const line of c.message.split('\n')) {
    const resolves = BUG_RESOLVES.exec(line);
    const status = resolves ? resolutionStatusOf(c.message, resolves[1]!) : undefined;
    const key = VALVE_LINE.exec(line);
    if (key) out.push(line.slice(key.index).trim().slice(0, LINE_MAX));
    else if (status !== undefined && status !== 'fixed') out.push(`${line.trim().slice(0, LINE_MAX)} (${status})`);
  }
  return out;
}

/** What the approval request adds to a commit's entry: empty when the message carries no valve. */
export function formatValves(valves: string[]): string {
  if (valves.length === 0) return '';
  const shown = valves.slice(0, SHOWN_MAX).map((v) => `"${v}"`).join(', ');
  const more = valves.length > SHOWN_MAX ? ` and ${valves.length - SHOWN_MAX} more` : '';
  return `; its message carries ${shown}${more} (approving this commit vouches for them too)`;
}

/**
 * The run's commits (`baseline..head`) whose messages carry escape valves and that no peer but
 * their author has approved: every prompt lists them for the other peers, so an approval of such a
 * commit, asked for by a warning or given unasked, is given with its valves in view. An unattested
 * commit is listed under "(unattested)": nothing it carries counts, and the reader should know.
 */
export function pendingValves(repo: string, baseline: string | undefined, head: string, view: AttestationView): Array<{ sha: string; author: string; valves: string[] }> {
  const out: Array<{ sha: string; author: string; valves: string[] }> = [];
  for (const c of listCommits(repo, baseline ? `${baseline}..${head}` : head)) {
    const valves = messageValves(c);
    if (valves.length === 0) continue;
    const author = view.peerOf(c.sha);
    if (author === OPERATOR || author === SUBSTRATE_PEER) continue;
    if (author !== undefined && [...view.approversOf(c.sha)].some((a) => a !== author)) continue;
    out.push({ sha: c.sha, author: author ?? '(unattested)', valves });
  }
  return out;
}
