/**
 * `peers report --html` as a reader sees it: the page opened in headless Chromium, its charts
 * parsed and laid out by the browser, no console error (the page's CSP forbids every load, so a
 * stray external reference would show here), and a screenshot taken. On the recorded run and on
 * a synthetic 1,000-tick run.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunSummary } from '../../../src/report/run-summary.ts';
import { buildReportModel } from '../../../src/report/report-model.ts';
import { renderHtml } from '../../../src/report/render-html.ts';
import { LONG_TICKS, writeLongRun } from '../../unit/report/long-run.ts';
import { recordedModel } from '../../unit/report/recorded.ts';
import { launchChromium, pngSize, type Browser } from './chromium.ts';

let browser: Browser;
let dir: string;
let longRun: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-report-browser-'));
  longRun = writeLongRun();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(longRun, { recursive: true, force: true });
});

type Chart = { points: number; bars: number; caps: number; width: number; height: number };
const chartOf = (id: string) => `(() => {
  const svg = document.getElementById(${JSON.stringify(id)});
  if (!svg) return null;
  const line = svg.querySelector('polyline.cumulative');
  const box = svg.getBoundingClientRect();
  return { points: line ? line.points.numberOfItems : 0, bars: svg.querySelectorAll('rect').length, caps: svg.querySelectorAll('.cap').length, width: box.width, height: box.height };
})()`;

async function open(name: string, html: string) {
  const file = join(dir, name);
  writeFileSync(file, html);
  const page = await browser.page();
  await page.goto(`file://${file}`);
  return page;
}

test('the recorded run: both spend charts plot its 12 ticks against the caps, the gate timeline is drawn, nothing errors', async () => {
  const page = await open('recorded.html', renderHtml(recordedModel()));
  for (const id of ['chart-usd', 'chart-tokens']) {
    const c = await page.evaluate<Chart>(chartOf(id));
    expect(c.points).toBe(12);
    expect(c.bars).toBe(12);
    expect(c.caps).toBeGreaterThan(0);
    expect(c.width).toBeGreaterThan(300);
    expect(c.height).toBeGreaterThan(50);
  }
  const segments = await page.evaluate<number>(`document.querySelectorAll('#gate-timeline .seg').length`);
  expect(segments).toBeGreaterThan(0);
  // Peer-written markup in a commit subject stays text: no element was made of it.
  expect(await page.evaluate<number>(`document.querySelectorAll('body script').length`)).toBe(0);
  expect(await page.evaluate<boolean>(`document.body.textContent.includes('a test <script>alert(1)</script> for later')`)).toBe(true);
  const png = await page.screenshot();
  expect(pngSize(png).width).toBeGreaterThan(300);
  writeFileSync(join(dir, 'recorded.png'), png);
  expect(page.errors).toEqual([]);
}, 60_000);

test('1,000 ticks: every tick charted, the tick list collapsed to one open block, the page a readable length', async () => {
  const model = buildReportModel({ project: 'long', summary: readRunSummary(longRun), history: null, egress: null, generatedAt: '2026-12-05T14:00:00.000Z' });
  const page = await open('long.html', renderHtml(model));
  const usd = await page.evaluate<Chart>(chartOf('chart-usd'));
  expect(usd.points).toBe(LONG_TICKS);
  expect(usd.bars).toBe(LONG_TICKS);
  const blocks = await page.evaluate<{ all: number; open: number; visibleRows: number }>(`(() => {
    const all = [...document.querySelectorAll('details.tick-block')];
    const rows = [...document.querySelectorAll('details.tick-block tr')].filter((r) => r.checkVisibility());
    return { all: all.length, open: all.filter((d) => d.open).length, visibleRows: rows.length };
  })()`);
  expect(blocks).toMatchObject({ all: 10, open: 1 });
  expect(blocks.visibleRows).toBeLessThanOrEqual(101); // one block of 100 ticks and its header
  // Collapsed, a thousand ticks still read as a page, not a scroll of a thousand rows.
  const height = await page.evaluate<number>('document.documentElement.scrollHeight');
  expect(height).toBeLessThan(12_000);
  expect(pngSize(await page.screenshot()).height).toBe(height);
  expect(page.errors).toEqual([]);
}, 60_000);
