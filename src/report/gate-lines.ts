/**
 * The gate lines of `peers status`: one per gate, with its diagnostic cut to fit a line. A
 * diagnostic says why at its end (the tool's last words, after the command and the exit code), so a
 * long one keeps its head and its tail. When `setup` failed, no gate ran and each gate carries the
 * same "not run: setup `…` failed: …": that is said once, whole, instead of cut short three times.
 */
import { headAndTail } from '../cli/fit-line.ts';
import { NOT_RUN, notRun, parseSetupFailed } from '../gates/not-run.ts';
import { fitGateDiagnostic } from '../gates/missing-program.ts';

type GateShown = { state: string; diagnostic: string };

export function gateLines(results: Array<[string, GateShown]>, redStreak: Record<string, number | undefined>): string[] {
  const failed = results.filter(([, g]) => g.state === 'fail');
  const setup = failed.length > 0 && failed.every(([, g]) => g.diagnostic === failed[0]![1].diagnostic) ? parseSetupFailed(failed[0]![1].diagnostic) : null;
  // What peers says about the failure (before `exit=`) is kept whole; the tool's output after it is cut.
  const said = setup ? /^([\s\S]*?)(exit=[\s\S]*)$/.exec(setup.failure) : null;
  const why = setup ? (said ? `${said[1]!.replace(/\s+/g, ' ')}${headAndTail(said[2]!, 240)}` : headAndTail(setup.failure, 400)) : '';
  const lines = setup ? [`  setup failed, so no gate ran: \`${headAndTail(setup.setup, 80)}\` — ${why}`] : [];
  for (const [id, g] of results) {
    const red = redStreak[id];
    // red_streak counts evaluations (the probe before tick 1 is one), not ticks: said in its own unit,
    // as `peers report` says it, so the two never read as contradicting.
    const streak = red ? ` (red ${red} evaluation${red === 1 ? '' : 's'} in a row)` : '';
    if (g.state !== 'fail') lines.push(`  ${id}: ${g.state}${streak}`);
    else if (setup) lines.push(`  ${id}: not run: setup failed (above)${streak}`);
    else lines.push(`  ${id}: ${notRun(g) ? 'not run' : g.state}${streak} — ${notRun(g) ? headAndTail(g.diagnostic.slice(NOT_RUN.length), 200) : fitGateDiagnostic(g.diagnostic, (d) => headAndTail(d, 200))}`);
  }
  return lines;
}
