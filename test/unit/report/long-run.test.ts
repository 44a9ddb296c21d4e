import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { hostUsageLedgerPath } from '../../../src/budget/ledger-path.ts';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { renderHtml } from '../../../src/report/render-html.ts';
import { renderMarkdown } from '../../../src/report/render-markdown.ts';
import { failedTick, LONG_TICKS, testsRedAt, writeLongRun } from './long-run.ts';

const dir = writeLongRun();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = buildReportModel({ project: 'long', summary: readRunSummary(dir), history: null, egress: null, generatedAt: '2026-12-05T14:00:00.000Z' });

// Ticks that LEFT the tests gate red: a failed tick leaves the commit it started from.
const expectedRed = Array.from({ length: LONG_TICKS }, (_, k) => k + 1).filter((i) => testsRedAt(failedTick(i) ? i - 1 : i) && (failedTick(i) ? i - 1 >= 1 : true)).length;

test('at 1,000 ticks the Markdown summarises in blocks that add up to every tick, then lists the last ticks in full', () => {
  const md = renderMarkdown(model);
  const lines = md.split('\n');
  expect(lines.length).toBeLessThan(300);
  expect(md).toContain(`## Ticks (${LONG_TICKS}: summarised in blocks of 50, then the last 30 in full)`);
  const blockRows = lines.filter((l) => /^\| \d+–\d+ \| \d+ \| \d+ \| /.test(l) && l.split('|').length === 9);
  expect(blockRows.length).toBe(LONG_TICKS / 50);
  const counted = blockRows.reduce((n, l) => n + Number(l.split('|')[2]) + Number(l.split('|')[3]), 0);
  expect(counted).toBe(LONG_TICKS);
  expect(blockRows.reduce((n, l) => n + Number(l.split('|')[3]), 0)).toBe(Math.floor(LONG_TICKS / 7));
  expect(lines.filter((l) => /^\| (9[7-9]\d|1000) \| (alice|bob) \| (handoff|failed) \| /.test(l)).length).toBe(30);
  expect(md).toContain('_Every tick is listed in `peers report --html`');
});

test('the red-tick count covers the whole run, not the current streak (red after tick 1, green at the end)', () => {
  const md = renderMarkdown(model);
  expect(md).toContain(`| tests | pass | ${expectedRed} of ${LONG_TICKS} | 0 |`);
  expect(md).toMatch(/- \*\*tests\*\*: fail 1–3 · pass 4–499 · fail 500–520 · pass 521–1000 — first red after tick 1, last after tick 520/);
});

test('at 1,000 ticks the HTML has every tick (collapsed in blocks of 100) and charts every tick', () => {
  const html = renderHtml(model);
  expect(html.length).toBeLessThan(2_000_000);
  expect(html.match(/<details class="tick-block"/g)?.length).toBe(10);
  expect(html.match(/<details class="tick-block" open>/g)?.length).toBe(1);
  const usd = html.slice(html.indexOf('id="chart-usd"'), html.indexOf('</svg>', html.indexOf('id="chart-usd"')));
  expect(/class="cumulative" points="([^"]*)"/.exec(usd)![1]!.split(' ').length).toBe(LONG_TICKS);
  expect(usd.match(/<rect /g)?.length).toBe(LONG_TICKS);
  expect(usd).toContain('class="cap"');
  expect(html.match(/class="seg fail"/g)?.length).toBe(2 + 0); // two red runs of the tests gate
});

test('a budget cap says what continues the run as `peers up` takes it: --max-usd for the USD cap; the config and --accept-changes for max_ticks (--max-ticks raises no cap)', () => {
  expect(model.outcome.why[0]).toBe(`The max_usd cap was reached: $${(LONG_TICKS / 100).toFixed(2)} spent of a $${LONG_TICKS / 100} cap. To continue: \`peers up --max-usd ${LONG_TICKS / 50}\` (or raise budget.max_usd in .peers/config.yaml, then \`peers up --accept-changes\` continues it).`);
  const ticks = writeLongRun(4);
  try {
    writeFileSync(join(ticks, 'last-stop-reason.txt'), 'budget:max_ticks 2026-12-05T14:00:00.000Z\n');
    // The snapshot's caps as such a stop has them (the run's verdict is read from the state: src/loop/run-verdict.ts).
    writeFileSync(join(ticks, 'snapshot', 'config.yaml'), `peers:\n  - { name: alice, tool: custom, argv: [sh, a.sh] }\n  - { name: bob, tool: custom, argv: [sh, b.sh] }\nbudget:\n  max_usd: 100\n  max_ticks: 4\n`);
    const why = buildReportModel({ project: 'short', summary: readRunSummary(ticks), history: null, egress: null, generatedAt: '2026-12-05T14:00:00.000Z' }).outcome.why[0]!;
    expect(why).toEndWith('To continue: raise budget.max_ticks in .peers/config.yaml, then `peers up --accept-changes` continues it.');
    expect(why).not.toContain('--max-');
  } finally {
    rmSync(ticks, { recursive: true, force: true });
  }
});

test('a USD cap whose last refused request needed more than twice the cap: the suggested --max-usd covers that request', () => {
  const refusedDir = writeLongRun();
  try {
    // The auth sidecar's ledger line for the refused request (auth-proxy/usage/refusal-lines.ts).
    const cap = LONG_TICKS / 100;
    mkdirSync(dirname(hostUsageLedgerPath(refusedDir)), { recursive: true });
    writeFileSync(hostUsageLedgerPath(refusedDir), `${JSON.stringify({ kind: 'refused', ts: '2026-12-05T13:00:00.000Z', upstream: 'anthropic', path: '/v1/messages', model: 'claude-opus-4-5', cap: 'max_usd', limit: cap, spent: cap, in_flight: 0, needed: 3 * cap })}\n`);
    const m = buildReportModel({ project: 'long', summary: readRunSummary(refusedDir), history: null, egress: null, generatedAt: '2026-12-05T14:00:00.000Z' });
    expect(m.outcome.why[0]).toContain(`To continue: \`peers up --max-usd ${3 * cap}\``);
  } finally {
    rmSync(refusedDir, { recursive: true, force: true });
  }
});
