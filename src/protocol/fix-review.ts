/**
 * Who reads a fix. A bug is closed by its fixer's own `Bug-Resolves` (bug-ledger.ts), and the
 * reviewer's CHANGES hold only what changed since the end of its last turn: a "fix" that changes
 * nothing add() computes (a constant added beside the special case, with a reproduce test the
 * special case passes) showed the reviewer a harmless diff, it voted pass, and with the skeptic
 * re-audit off the run ended `complete` with the special case its bug was filed for still in HEAD
 * (SECURITY.md, "A fix is read against the whole change"). A peer that did not write a fix closed
 * since its last turn reads the run's whole change again, so what the bug was filed for is in
 * front of it next to the fix, whatever the fix claims.
 */

/** A bug closed as fixed: the commit that closed it, and the peer the loop attested it to. */
export type ClosedFix = { sha: string; fixer: string | undefined; readBefore: boolean };

/**
 * Where `peer`'s CHANGES begin: the end of its last turn (`own`), or the run's baseline when a
 * fix another peer (or no attested peer) closed is not in what it read before. Pure.
 */
export function reviewBaseAfterFixes(peer: string, own: string | undefined, baseline: string | undefined, fixes: readonly ClosedFix[]): { base: string | undefined; rereads: string[] } {
  const unread = fixes.filter((f) => !f.readBefore && f.fixer !== peer);
  if (own === undefined || unread.length === 0) return { base: own ?? baseline, rereads: [] };
  return { base: baseline, rereads: unread.map((f) => f.sha) };
}
