/**
 * Attack: an inline file whose data URL states a text type. The screen read a `data:text/…` URL as
 * text, bounded by its bytes, wherever it sat; the vendor reads a file by its name and contents:
 * OpenAI's Responses API takes an `input_file`'s type from its file (a PDF's pages are billed as
 * images beside its text; a .docx or .xlsx is a zip whose text is extracted; a spreadsheet gets a
 * model-written summary besides its rows), and a router decodes a `video_url` as the video it is.
 * So a 100-page PDF of a few KiB sent as `data:text/plain;base64,…` with `"filename": "doc.pdf"`
 * was reserved at a few thousand tokens and billed 160k, past a 150k-token cap in one request.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): where a data URL
 * is read as a file (`file_data`, `video_url`, `audio_url`), it is reserved as a file whatever type
 * it states, like a PDF, at the largest context window.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** A 100-page PDF of a few KiB: each page billed as an image (about 1,600 tokens), whatever its bytes. */
const pages = Array.from({ length: 100 }, (_, i) => `${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n`).join('');
const PDF = Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 100 >> endobj\n${pages}%%EOF\n`);

/**
 * A stand-in vendor reading a file by its contents, not the type it is stated as (OpenAI's
 * `input_file`, a compatible provider's base64 `document`): a PDF's pages are billed as images.
 */
function billedFileTokens(v: unknown, key = ''): number {
  if (typeof v === 'string' && (key === 'file_data' || key === 'data')) {
    const file = Buffer.from(v.slice(v.indexOf(',') + 1), 'base64').toString('latin1');
    return file.startsWith('%PDF') ? 1600 * (file.match(/\/Type\s*\/Page\b/g)?.length ?? 0) : file.length;
  }
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + billedFileTokens(x), 0);
  if (v && typeof v === 'object') return Object.entries(v).reduce((n, [k, x]) => n + billedFileTokens(x, k), 0);
  return 0;
}
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    forwarded++;
    const input = 10 + billedFileTokens(JSON.parse(raw.toString()));
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url?.startsWith('/v1/messages')) res.end(JSON.stringify({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: 'end_turn', usage: { input_tokens: input, output_tokens: 10 } }));
    else res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: input, output_tokens: 10, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const ask = (part: Record<string, unknown>) => ({ model: 'gpt-5.4', max_output_tokens: 100, input: [{ role: 'user', content: [{ type: 'input_text', text: 'summarise it' }, part] }] });
const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('a PDF sent as data:text/plain under file_data is reserved as a file: refused unsent at a 150k-token cap, as the same PDF stated as one is', async () => {
  expect(PDF.length).toBeLessThan(8 * 1024);
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 150_000 });
  try {
    for (const type of ['text/plain', 'application/pdf']) {
      const r = await post(sc.s.url, ask({ type: 'input_file', filename: 'doc.pdf', file_data: `data:${type};base64,${PDF.toString('base64')}` }));
      // Without the fix the text/plain one went out, reserved at about 10k tokens, and was billed 160k.
      expect({ type, status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ type, status: 400, forwarded: 0, spent: 0 });
    }
  } finally {
    await sc.close();
  }
});

test('a PDF in an Anthropic base64 document stated as text/plain is reserved as a file too', async () => {
  const sc = await sidecarFor('anthropic', vendor.port, { maxTokens: 150_000 });
  try {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'text/plain', data: PDF.toString('base64') } }, { type: 'text', text: 'summarise it' }] }] };
    const r = await fetch(`${sc.s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await r.text();
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 402, forwarded: 0, spent: 0 });
  } finally {
    await sc.close();
  }
});

test('a video sent as data:text/plain under video_url is reserved as a file too', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 100_000 });
  try {
    const video = `data:text/plain;base64,${Buffer.alloc(3000, 0).toString('base64')}`;
    for (const part of [{ type: 'video_url', video_url: { url: video } }, { type: 'video_url', video_url: video }]) {
      const r = await post(sc.s.url, ask(part));
      expect({ status: r.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
    }
  } finally {
    await sc.close();
  }
});

test('text in a message that happens to be a data URL is still text, and a small text file goes out under a cap that covers the window', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_200_000 });
  try {
    const r = await post(sc.s.url, { model: 'gpt-5.4', max_output_tokens: 100, input: [{ role: 'user', content: [{ type: 'input_text', text: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` }] }] });
    expect(r.status).toBe(200);
    const f = await post(sc.s.url, ask({ type: 'input_file', filename: 'notes.txt', file_data: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` }));
    expect({ status: f.status, forwarded }).toEqual({ status: 200, forwarded: 2 });
  } finally {
    await sc.close();
  }
});
