/**
 * The skeptic tick: once everything looks converged, a peer that did not
 * write the changes under audit is told that N clean ticks are suspicious and asked to re-audit
 * (convergence.ts and turn-order.ts pick it). A new blocking finding resets the clean-tick count and
 * convergence (bug-ledger.ts countNewBlockingReports); a clean skeptic tick means done.
 */
export function skepticPrompt(cleanTicks: number): string {
  return [
    '=== POST-CONVERGENCE SKEPTIC RE-AUDIT ===',
    `All hard gates are green, no blocking bug is open, soft reviews agree, and there have been ${cleanTicks} consecutive clean ticks. That is suspicious: convergence is often theatre.`,
    'Do a critical re-audit before this run is called done:',
    '  1. Re-read at least 3 source files that no review has covered yet, and every file added during this run.',
    '  2. Re-check the soft reviews that passed quickly: was each verdict earned by reading the code?',
    '  3. Re-examine every fix marked weak or shallow, every skip/xfail and its reason, and every test that asserts little.',
    '  4. Look for failure modes: bad input, empty and oversized input, concurrency, resource limits, error paths, security boundaries.',
    'For every real new crit/high/med bug, file a Bug-Report commit with a reproducing test (this resets convergence; that is the point).',
    'If you find nothing, document at least 5 concrete failure modes you ruled out per module, and how, in your ## Self-Review.',
    '=== END SKEPTIC HEADER ===',
  ].join('\n');
}
