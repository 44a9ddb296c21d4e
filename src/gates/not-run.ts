/**
 * A gate that never ran (its setup failed, the run was interrupted, its checkout could not be
 * made) is recorded failed, so it is never green (fail closed: SECURITY.md, "A gate that did not
 * run is red"); shown, it says "not run" and why, not FAIL, which reads as the code failing it.
 * The diagnostics peers writes for such a gate start with NOT_RUN; this is the one place that
 * writes and reads that form, for the loop's probes, `peers verify`, `peers status` and the report.
 */
export const NOT_RUN = 'not run: ';

/** The diagnostic of every gate of a probe whose `setup` failed (`failure`: setup's one-line reason). */
export function setupFailedDiagnostic(setup: string, failure: string): string {
  return `${NOT_RUN}setup \`${setup}\` failed: ${failure}`;
}

const SETUP_FAILED = /^not run: setup `([\s\S]*)` failed: ([\s\S]*)$/;

/** The setup command and its failure, from a gate's diagnostic; null for any other. */
export function parseSetupFailed(diagnostic: string): { setup: string; failure: string } | null {
  const m = SETUP_FAILED.exec(diagnostic);
  return m ? { setup: m[1]!, failure: m[2]! } : null;
}

/** A recorded result that is red because the gate never ran. */
export function notRun(g: { state: string; diagnostic: string }): boolean {
  return g.state === 'fail' && g.diagnostic.startsWith(NOT_RUN);
}

/** The state a user reads for a recorded result: pass, FAIL (the gate ran and failed) or not run. */
export function shownState(g: { state: string; diagnostic: string }): 'pass' | 'FAIL' | 'not run' {
  return g.state === 'pass' ? 'pass' : notRun(g) ? 'not run' : 'FAIL';
}
