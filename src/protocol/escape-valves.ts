/**
 * Escape valves for removed or skipped tests, and the rule that they count only when vouched for
 * by a peer other than the author of the change they excuse (approvals.ts):
 *
 *   - a skip/xfail passes with a reason of 20+ characters on its line (`reason="…"`,
 *     `t.Skip("…")`, `#[ignore = "…"]`, a `skip-reason: …` comment) — written by the peer that added
 *     the marker, so it counts only once another peer approves that commit;
 *   - a disabled, deleted or moved-away test passes with a commit line
 *     `JUSTIFIED-TEST-REMOVAL: <path> <reason>` written or approved by another peer;
 *   - `.only` never passes (it silently disables every other test).
 *
 * Pure: findings carry the commit that introduced them, justifications the commit that states them.
 */
import type { Commit } from '../git/commits.ts';
import { attestedByAnother, type AttestationView } from './approvals.ts';
import type { MarkerFinding } from './test-markers.ts';

export const REASON_MIN = 20;
const REASON_PATTERNS = [/reason\s*=\s*(['"])(.*?)\1/, /\bt\.Skipf?\s*\(\s*(["`])(.*?)\1/, /#\[ignore\s*=\s*(")(.*?)\1\]/, /(#|\/\/)\s*skip-reason:\s*()(.*)$/];

export function skipReason(line: string): string | undefined {
  for (const re of REASON_PATTERNS) {
    const m = re.exec(line);
    const reason = (m?.[3] ?? m?.[2] ?? '').trim();
    if (reason.length >= REASON_MIN) return reason;
  }
  return undefined;
}

export type RemovalJustification = { sha: string; line: string };

/** `JUSTIFIED-TEST-REMOVAL: <path> <reason of 20+ chars>` lines in commit messages. */
export function removalJustifications(commits: Commit[]): RemovalJustification[] {
  return commits.flatMap((c) => c.message.split('\n').map((l) => l.trim()).filter((l) => /^JUSTIFIED-TEST-REMOVAL:\s*\S+\s+.{20,}/.test(l)).map((line) => ({ sha: c.sha, line })));
}

/** A finding of the whole range, with the commit that introduced it (undefined when none matched). */
export type AttributedFinding = MarkerFinding & { sha: string | undefined };

const keyOf = (f: MarkerFinding) => `${f.kind}\0${f.file}\0${f.text}`;

/**
 * Attributes each net finding of `base..head` to the newest commit whose own diff produced the same
 * finding (same kind, file and text). `perCommit` is oldest first.
 */
export function attributeFindings(net: MarkerFinding[], perCommit: Array<{ sha: string; findings: MarkerFinding[] }>): AttributedFinding[] {
  const last = new Map<string, string>();
  for (const c of perCommit) for (const f of c.findings) last.set(keyOf(f), c.sha);
  return net.map((f) => ({ ...f, sha: last.get(keyOf(f)) }));
}

export type Verdict = { finding: AttributedFinding; excused: boolean; why: string };

/** Decides every finding: excused (and by whom) or not (and what would excuse it). */
export function judgeMarkerFindings(findings: AttributedFinding[], removals: RemovalJustification[], view: AttestationView): Verdict[] {
  return findings.map((f) => {
    if (f.kind === 'only') return { finding: f, excused: false, why: '.only disables every other test; remove it' };
    const sha = f.sha;
    const author = sha ? view.peerOf(sha) : undefined;
    if (!sha || !author) return { finding: f, excused: false, why: 'no attested commit introduced it, so nothing can excuse it' };
    // Another peer's approval of the commit that added it: what a reasoned skip and a test-sniffing line both need.
    const approvedByAnother = (excused: string, unexcused: string): Verdict => {
      const a = attestedByAnother(view, sha, author);
      return a.counts ? { finding: f, excused: true, why: `${excused} by ${a.by}` } : { finding: f, excused: false, why: `${unexcused}; another peer must approve commit ${sha.slice(0, 12)} (Peer-Review-Of)` };
    };
    if (f.kind === 'skip' || f.kind === 'xfail') {
      if (!skipReason(f.text)) return { finding: f, excused: false, why: `give a reason of ${REASON_MIN}+ characters on the marker line` };
      return approvedByAnother('reason approved', `its reason was written by ${author} for its own change`);
    }
    if (f.kind === 'test-sniffing') return approvedByAnother('approved', 'code that asks whether a test runs it can pass under test and fail in use');
    if (f.kind === 'trojan-source') return approvedByAnother('approved', 'code that reads as something other than what runs can hide a special case from its reviewer');
    if (f.kind === 'test-tampering') return approvedByAnother('approved', 'code that fakes, ends or rewrites its own test run can turn the gates green with the bug still in it');
    const naming = removals.filter((j) => j.line.includes(f.file));
    const ok = naming.map((j) => ({ j, a: attestedByAnother(view, j.sha, author) })).find((x) => x.a.counts);
    if (ok && ok.a.counts) return { finding: f, excused: true, why: `JUSTIFIED-TEST-REMOVAL by ${ok.a.by}` };
    return {
      finding: f,
      excused: false,
      why: naming.length
        ? `its JUSTIFIED-TEST-REMOVAL was written by ${author} for its own change; another peer must write or approve it`
        : `a peer other than ${author} must state "JUSTIFIED-TEST-REMOVAL: ${f.file} <reason>" or approve a commit that does`,
    };
  });
}

export type SelfVouch = { sha: string; what: string };

/**
 * Escape valves a turn wrote for its own change (the loop reports these as findings: they are held
 * until another peer approves): a skip reason on a marker the turn added, a JUSTIFIED-TEST-REMOVAL
 * for a test the turn removed, a JUSTIFIED-TEST-ONLY in its own commits.
 */
export function selfVouchedValves(commits: Commit[], markers: MarkerFinding[]): SelfVouch[] {
  const out: SelfVouch[] = [];
  const last = commits.at(-1)?.sha ?? '';
  for (const m of markers) {
    if ((m.kind === 'skip' || m.kind === 'xfail') && skipReason(m.text)) out.push({ sha: last, what: `skip reason on ${m.file}:${m.line}` });
  }
  const removed = new Set(markers.filter((m) => m.kind === 'deleted-test' || m.kind === 'deleted-test-file' || m.kind === 'disabled-test').map((m) => m.file));
  for (const j of removalJustifications(commits)) if ([...removed].some((f) => j.line.includes(f))) out.push({ sha: j.sha, what: `"${j.line.slice(0, 160)}"` });
  for (const c of commits) if (/JUSTIFIED-TEST-ONLY:/.test(c.message)) out.push({ sha: c.sha, what: 'JUSTIFIED-TEST-ONLY in its own commit' });
  return out;
}
