/**
 * The loop's console line for the gates (what `peers up --attach` and `peers logs -f` show): said
 * when the set of red gates or why they are red changes, so a user following a run learns that
 * `tests-pass` is red because `go` is not in the image without waiting for `peers status`. Pure.
 */
import { headAndTail } from '../cli/fit-line.ts';
import type { GateRecord } from '../state/state-schema.ts';
import { parseSetupFailed, setupFailedDiagnostic } from '../gates/not-run.ts';
import { fitGateDiagnostic } from '../gates/missing-program.ts';

const DIAGNOSTIC_CHARS = 200;
const SETUP_COMMAND_CHARS = 40;

/** One line, at most `max` characters: a diagnostic's head and its end (where a tool says why). */
const oneLine = (text: string, max: number) => headAndTail(text, max, 0.6);

/**
 * A gate's diagnostic in one line. A failed setup's starts with its whole command, which took the
 * head and left "failed: a … " of the reason: the command and the reason are cut apart.
 */
function diagnosticLine(diagnostic: string): string {
  const setup = parseSetupFailed(diagnostic);
  if (!setup) return fitGateDiagnostic(diagnostic, (d) => oneLine(d, DIAGNOSTIC_CHARS));
  const cmd = oneLine(setup.setup, SETUP_COMMAND_CHARS);
  return setupFailedDiagnostic(cmd, oneLine(setup.failure, Math.max(150, DIAGNOSTIC_CHARS - cmd.length - 20)));
}

/**
 * The line for the gates as recorded at `head`, and the key that says what it reported; undefined
 * when nothing changed since the line whose key is `seen` (or no gate has run yet).
 */
export function gatesLine(gates: { head: string | null; results: Record<string, GateRecord> }, seen: string | undefined): { line: string; key: string } | undefined {
  const ids = Object.keys(gates.results);
  if (!gates.head || ids.length === 0) return undefined;
  const red = ids.filter((id) => gates.results[id]!.state === 'fail');
  const key = JSON.stringify(red.map((id) => [id, diagnosticLine(gates.results[id]!.diagnostic)]));
  if (key === seen) return undefined;
  const at = `peers: gates at ${gates.head.slice(0, 8)}:`;
  if (red.length === 0) return { key, line: `${at} all ${ids.length} green` };
  // Every gate failing the same way (a failed setup) is said once.
  const diags = red.map((id) => diagnosticLine(gates.results[id]!.diagnostic));
  const why = diags.every((d) => d === diags[0]) ? [`${red.join(', ')} — ${diags[0]}`] : red.map((id, i) => `${id} — ${diags[i]}`);
  return { key, line: `${at} ${ids.length - red.length}/${ids.length} green; red: ${why.join('; ')}` };
}
