/**
 * Golden test of the Markdown report on a recorded run (test/fixtures/report/record.ts): a real
 * loop's state files, the history it committed and an egress log. The whole document is compared,
 * so any change to what the report says shows up in review. UPDATE_GOLDEN=1 rewrites the golden.
 */
import { expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { RECORDED_RUN as RUN, recordedModel } from './recorded.ts';

const GOLDEN = resolve(import.meta.dir, '../../fixtures/report/recorded-run.md');

test('the Markdown report of a recorded run matches the golden file', () => {
  const md = renderMarkdown(recordedModel()).split(RUN).join('<state-dir>');
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, md);
  expect(md).toBe(readFileSync(GOLDEN, 'utf8'));
});

test('the recorded run tells its story: the crash, the bug filed and fixed, a gate red then green, the spend against the caps, the refused egress', () => {
  const md = readFileSync(GOLDEN, 'utf8');
  expect(md).toContain('**Outcome:** max_ticks');
  expect(md).toMatch(/\| \d+ \| bob \| failed \| process-fail \| .* sh exited 3: segmentation fault \(core dumped\) \|/);
  expect(md).toContain('| BUG-001 | high | fixed | alice | bob | bob | BUG-001: parser drops the last line |');
  expect(md).toMatch(/- \*\*fixed\*\*: fail 1–2 · pass 3–12 — first red after tick 1, last after tick 2/);
  expect(md).toMatch(/\| fixed \| pass \| 2 of 12 \| 0 \|/);
  expect(md).toContain('| 1–12 | 14770 | 1.1900 | 14770 (74% of cap) | 1.1900 (60% of cap) |');
  expect(md).toContain('| deny | `pastebin.com:443` | 2 | 0 / 0 | host not in the allow-list (2) |');
  expect(md).toContain('120 older record(s) were dropped');
  // Markup a peer wrote is quoted in a code span: shown as written, never parsed.
  expect(md).toContain('| `parser: a test <script>alert(1)</script> for later` |');
});
