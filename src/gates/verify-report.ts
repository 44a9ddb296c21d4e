/**
 * How a verify result is shown: the terminal table and `.peers/VERIFY.md`. A gate's output is the
 * code under test speaking (a peer's, in a run): in VERIFY.md it is rendered inert
 * (src/cli/inert-markdown.ts), so a diagnostic cannot put an image, link or HTML in the file.
 */
import { InputError } from '../cli/errors.ts';
import { mdBlock, mdCell, mdText } from '../cli/inert-markdown.ts';
import { UnsafePathError, writeFileAtomic } from '../fs/atomic-write.ts';
import { fileAccessError } from '../fs/file-errors.ts';
import { VERIFY_FILE_KIND } from './verify-record.ts';
import type { VerifyReport, VerifyRow } from './verify-run.ts';
import { notRun, shownState } from './not-run.ts';
import { shellCommand } from '../cli/shell-word.ts';

const MD_DIAGNOSTIC_CHARS = 200;

export function verifyCounts(r: VerifyReport): { hardPassed: number; hardTotal: number; verifyPassed: number; verifyTotal: number } {
  return {
    hardPassed: r.hard.filter((x) => x.state === 'pass').length,
    hardTotal: r.hard.length,
    verifyPassed: r.commands.filter((x) => x.state === 'pass').length,
    verifyTotal: r.commands.length,
  };
}

/** Gates and commands that never ran (recorded failed: a verify with any of them never passes). */
function notRunCount(r: VerifyReport): number {
  return [...r.hard, ...r.commands].filter(notRun).length;
}

export function resultLine(r: VerifyReport): string {
  const c = verifyCounts(r);
  // The extra commands of verify.commands in config.yaml are counted only where there are some:
  // "verify 0/0" on every project read as a failed part of the check.
  const counts = `hard ${c.hardPassed}/${c.hardTotal}${c.verifyTotal ? `, verify.commands ${c.verifyPassed}/${c.verifyTotal}` : ''}`;
  const skipped = notRunCount(r);
  // Setup failed: no gate ran, so the code was not judged; the result is a failure all the same.
  if (r.setup?.state === 'fail') return `FAIL: setup failed, so no gate ran (${skipped} not run; the code was not judged)`;
  return `${r.ok ? 'PASS' : 'FAIL'} (${counts}${skipped ? `, ${skipped} not run` : ''})`;
}

/** What a row's diagnostic cell says: a gate not run for its failed setup points at setup's row, said once. */
function shownDiagnostic(r: VerifyReport, row: VerifyRow): string {
  return r.setup?.state === 'fail' && notRun(row) ? 'setup failed (its row and output above)' : row.diagnostic;
}

/** One cell of the terminal table: newlines flattened, long diagnostics cut. */
function cell(text: string, max = Infinity): string {
  const flat = text.replace(/\r?\n|\r/g, ' ').replaceAll('|', '\\|');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function mdTable(rows: VerifyRow[], diagnostic: (row: VerifyRow) => string = (row) => row.diagnostic): string[] {
  return [
    '| id | state | duration (ms) | diagnostic |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${mdCell(r.id)} | ${shownState(r) === 'FAIL' ? 'fail' : shownState(r)} | ${r.durationMs} | ${mdCell(diagnostic(r), MD_DIAGNOSTIC_CHARS)} |`),
  ];
}

type FailedRow = { kind: 'setup' | 'hard' | 'verify'; id: string; cmd?: string; excerpt: string };

/** Failed rows that printed something, in table order: their output is where the error is. */
export function failureExcerpts(r: VerifyReport): FailedRow[] {
  const rows: { kind: FailedRow['kind']; row: { id: string; state: string; cmd?: string; excerpt?: string } }[] = [
    ...(r.setup ? [{ kind: 'setup' as const, row: r.setup }] : []),
    ...r.hard.map((row) => ({ kind: 'hard' as const, row })),
    ...r.commands.map((row) => ({ kind: 'verify' as const, row })),
  ];
  return rows.filter((x) => x.row.state === 'fail' && x.row.excerpt).map((x) => ({ kind: x.kind, id: x.row.id, cmd: x.row.cmd, excerpt: x.row.excerpt! }));
}

const label = (f: FailedRow) => (f.kind === f.id ? f.kind : `${f.kind} ${f.id}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function formatVerifyMarkdown(r: VerifyReport): string {
  const lines = [
    `# peers verify — ${r.project}`,
    '',
    `**Result:** ${resultLine(r)}`,
    '',
    `Commit \`${r.head}\`, checked ${r.finishedAt} on a clean checkout (uncommitted changes are not part of this result).`,
    '',
  ];
  if (r.setup) lines.push('## Setup', '', ...mdTable([r.setup]), '');
  const diagnostic = (row: VerifyRow) => shownDiagnostic(r, row);
  lines.push('## Hard goals', '', ...(r.hard.length ? mdTable(r.hard, diagnostic) : ['(no hard goals)']), '');
  if (r.commands.length) lines.push('## Verify commands', '', ...mdTable(r.commands, diagnostic), '');
  const cutRows = [...(r.setup ? [r.setup] : []), ...r.hard, ...r.commands].filter((row) => diagnostic(row).length > MD_DIAGNOSTIC_CHARS);
  if (cutRows.length) lines.push('## Diagnostics the tables cut, whole', '', ...cutRows.map((row) => `- ${mdCell(row.id)}: ${mdText(diagnostic(row))}`), '');
  lines.push(`Took ${seconds(r.durationMs)} in all: each tick of a run pays about this for its gates (once per new commit).`, '');
  const failures = failureExcerpts(r);
  if (failures.length) {
    lines.push('## What the failures printed', '');
    for (const f of failures) {
      lines.push(`### ${label(f)}${f.cmd ? ` — \`${f.cmd.replace(/`/g, "'")}\`` : ''}`, '', mdBlock(f.excerpt), '');
    }
  }
  // Notes name the repository's own paths (submodules, uncommitted files): shown inert like every other text here.
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${mdText(n)}`), '');
  return lines.join('\n');
}

/** Plain aligned columns for a terminal; a diagnostic is cut to the line in the table and given whole below it. */
export function formatVerifyTable(r: VerifyReport, width = 120): string[] {
  const rows = [...(r.setup ? [{ ...r.setup, kind: 'setup' }] : []), ...r.hard.map((x) => ({ ...x, kind: 'hard' })), ...r.commands.map((x) => ({ ...x, kind: 'verify' }))];
  const idWidth = Math.max(2, ...rows.map((x) => x.id.length));
  const out = [`${'kind'.padEnd(6)}  ${'id'.padEnd(idWidth)}  ${'state'.padEnd(7)}  ${'ms'.padStart(7)}  diagnostic`];
  const cut: string[] = [];
  for (const x of rows) {
    const head = `${x.kind.padEnd(6)}  ${x.id.padEnd(idWidth)}  ${shownState(x).padEnd(7)}  ${String(x.durationMs).padStart(7)}  `;
    const whole = cell(shownDiagnostic(r, x));
    const shown = cell(shownDiagnostic(r, x), Math.max(20, width - head.length));
    out.push(head + shown);
    // The end of a diagnostic is often its advice (what to install, where): a cut one is also given whole.
    if (shown !== whole) cut.push(`  ${x.kind === x.id ? x.kind : `${x.kind} ${x.id}`}: ${whole}`);
  }
  if (cut.length) out.push('', 'Diagnostics the table cuts, whole:', ...cut);
  const failures = failureExcerpts(r);
  if (failures.length) {
    out.push('', 'What the failures printed (the first lines are often where the error is):');
    for (const f of failures) {
      out.push(`  ${label(f)}${f.cmd ? `: ${f.cmd}` : ''}`);
      for (const line of f.excerpt.split('\n')) out.push(`    ${line}`);
    }
  }
  for (const n of r.notes) out.push('', `note: ${n}`);
  out.push('', `Result: ${resultLine(r)}  (commit ${r.head.slice(0, 12)}, took ${seconds(r.durationMs)})`);
  return out;
}

/** Writes VERIFY.md atomically; a symlink or hard link planted at that path is bad input, not a crash. */
export function writeVerifyMarkdown(path: string, r: VerifyReport): void {
  try {
    writeFileAtomic(path, formatVerifyMarkdown(r), 0o644);
  } catch (error) {
    if (error instanceof UnsafePathError) throw new InputError(error.message, { location: { file: path }, hint: `remove it (${shellCommand('rm', path)}) and run \`peers verify\` again` });
    throw fileAccessError(error, path, VERIFY_FILE_KIND('verify report'));
  }
}
