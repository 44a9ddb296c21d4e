/**
 * Inline SVG charts for the HTML report: no script, no external resource, every tick drawn (a
 * 1,000-tick run is a 1,000-point line, a few tens of kilobytes). Markup is built from numbers and
 * escaped labels only.
 */
import { esc, htmlText } from '../cli/inert-html.ts';
import type { GateTimeline } from './tick-series.ts';


const W = 900;
const PAD_L = 70;
const PAD_R = 20;
const fx = (x: number) => Math.round(x * 10) / 10;

export type SeriesPoint = { tick: number; value: number; total: number };

/**
 * Cumulative spend as a line against the cap (a dashed line), and the spend of each tick as bars
 * underneath. `id` names the chart for tests and links; `fmt` formats the axis labels.
 */
export function spendChart(o: { id: string; title: string; points: SeriesPoint[]; cap: number | null; fmt: (x: number) => string }): string {
  const n = o.points.length;
  const topH = 160;
  const barH = 60;
  const gap = 24;
  const H = 20 + topH + gap + barH + 24;
  const plotW = W - PAD_L - PAD_R;
  const x = (i: number) => PAD_L + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const maxTotal = Math.max(o.cap ?? 0, ...o.points.map((p) => p.total), 0) || 1;
  const maxBar = Math.max(...o.points.map((p) => p.value), 0) || 1;
  const yTop = (v: number) => 20 + topH - (v / maxTotal) * topH;
  const barTop = 20 + topH + gap;
  const bw = Math.max(0.5, plotW / Math.max(n, 1) - 1);
  const parts: string[] = [
    `<svg id="${esc(o.id)}" class="chart" role="img" aria-label="${esc(o.title)}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">`,
    `<title>${esc(o.title)}</title>`,
    `<line class="axis" x1="${PAD_L}" y1="${20 + topH}" x2="${W - PAD_R}" y2="${20 + topH}"/>`,
    `<text class="label" x="${PAD_L - 6}" y="${24}" text-anchor="end">${esc(o.fmt(maxTotal))}</text>`,
    `<text class="label" x="${PAD_L - 6}" y="${20 + topH}" text-anchor="end">0</text>`,
    `<text class="label" x="${PAD_L - 6}" y="${barTop + 8}" text-anchor="end">${esc(o.fmt(maxBar))}</text>`,
    `<text class="label" x="${PAD_L - 6}" y="${barTop + barH}" text-anchor="end">per tick</text>`,
  ];
  if (o.cap !== null) {
    parts.push(`<line class="cap" x1="${PAD_L}" y1="${fx(yTop(o.cap))}" x2="${W - PAD_R}" y2="${fx(yTop(o.cap))}"><title>cap ${esc(o.fmt(o.cap))}</title></line>`);
    parts.push(`<text class="label cap-label" x="${W - PAD_R}" y="${fx(yTop(o.cap)) - 4}" text-anchor="end">cap ${esc(o.fmt(o.cap))}</text>`);
  }
  if (n) {
    parts.push(`<polyline class="cumulative" points="${o.points.map((p, i) => `${fx(x(i))},${fx(yTop(p.total))}`).join(' ')}"/>`);
    parts.push('<g class="bars">');
    o.points.forEach((p, i) => {
      const h = (p.value / maxBar) * barH;
      parts.push(`<rect x="${fx(x(i) - bw / 2)}" y="${fx(barTop + barH - h)}" width="${fx(bw)}" height="${fx(h)}"><title>tick ${p.tick}: ${esc(o.fmt(p.value))} (total ${esc(o.fmt(p.total))})</title></rect>`);
    });
    parts.push('</g>');
    parts.push(`<text class="label" x="${PAD_L}" y="${H - 4}">tick ${o.points[0]!.tick}</text>`);
    parts.push(`<text class="label" x="${W - PAD_R}" y="${H - 4}" text-anchor="end">tick ${o.points.at(-1)!.tick}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** One row per gate, one rectangle per run of equal state, over the run's ticks. */
export function gateTimelineChart(timelines: GateTimeline[], ticks: number[]): string {
  const rowH = 22;
  const labelW = 160;
  const H = timelines.length * rowH + 24;
  const plotW = W - labelW - PAD_R;
  const index = new Map(ticks.map((t, i) => [t, i]));
  const n = Math.max(ticks.length, 1);
  const px = (i: number) => labelW + (i * plotW) / n;
  const parts: string[] = [`<svg id="gate-timeline" class="chart" role="img" aria-label="Gate state at the commit each tick left" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg">`];
  timelines.forEach((g, row) => {
    const y = row * rowH + 2;
    parts.push(`<g class="gate-row" data-gate="${htmlText(g.id, 200)}"><text class="label" x="${labelW - 8}" y="${y + 15}" text-anchor="end">${htmlText(g.id.length > 24 ? `${g.id.slice(0, 23)}…` : g.id)}</text>`);
    for (const s of g.segments) {
      const a = index.get(s.from) ?? 0;
      const b = (index.get(s.to) ?? a) + 1;
      parts.push(`<rect class="seg ${esc(s.state)}" x="${fx(px(a))}" y="${y}" width="${fx(Math.max(0.5, px(b) - px(a)))}" height="${rowH - 6}"><title>${htmlText(g.id, 200)}: ${esc(s.state)}, tick${s.from === s.to ? ` ${s.from}` : `s ${s.from}–${s.to}`}</title></rect>`);
    }
    parts.push('</g>');
  });
  if (ticks.length) {
    parts.push(`<text class="label" x="${labelW}" y="${H - 4}">tick ${ticks[0]}</text>`);
    parts.push(`<text class="label" x="${W - PAD_R}" y="${H - 4}" text-anchor="end">tick ${ticks.at(-1)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
