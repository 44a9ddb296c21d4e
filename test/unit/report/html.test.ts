import { expect, test } from 'bun:test';
import { renderHtml } from '../../../src/report/render-html.ts';
import { recordedModel } from './recorded.ts';

const html = renderHtml(recordedModel());

test('the HTML report is self-contained: a CSP that forbids scripts and every fetch, no script, no external reference', () => {
  expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`);
  expect(html).not.toMatch(/<script|<link |<iframe|<img |src=|href="(?!#)/i);
});

test('peer-written text is escaped: a commit subject and a test name with markup stay text', () => {
  expect(html).toContain('parser: a test &lt;script&gt;alert(1)&lt;/script&gt; for later');
  expect(html).toContain('test.skip(&#39;&lt;b&gt;keeps&lt;/b&gt; the last line&#39;');
});

test('the charts plot every tick of the recorded run, with the caps drawn', () => {
  for (const id of ['chart-usd', 'chart-tokens']) {
    const svg = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</svg>', html.indexOf(`id="${id}"`)));
    expect(/class="cumulative" points="([^"]*)"/.exec(svg)![1]!.split(' ').length).toBe(12);
    expect(svg).toContain('class="cap"');
  }
  expect(html).toContain('<title>fixed: fail, ticks 1–2</title>');
});
