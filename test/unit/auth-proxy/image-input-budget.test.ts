/**
 * Attack: images billed by their pixels, reserved by their bytes. The budget counts every body
 * byte as one prompt token, but the vendors bill an image by its size: a 2048x768 one-bit PNG is
 * about 300 bytes of base64, which OpenAI bills as 48,169 tokens on gpt-4o-mini, and a 1568x735
 * one is billed about 1,537 tokens by Anthropic. A peer sending a few dozen such images in one
 * request was reserved at a few thousand tokens and billed past the run's cap in that one request.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): each inline
 * image adds the most its stated size can be billed to the reservation (auth-proxy/usage/image-input.ts),
 * and under a cap an image whose size cannot be read is refused. The stand-in vendor below bills
 * images the way the vendors' published formulas do, from the PNG it is sent.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { crc32, deflateSync } from 'node:zlib';
import { isRefusal, isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { imageSize } from '../../../auth-proxy/usage/image-input.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';
import { waitFor } from '../../wait-for.ts';

/** A real one-bit greyscale PNG of this size, all black: it deflates to a few hundred bytes. */
function blackPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((Math.ceil(width / 8) + 1) * height); // each row: filter byte 0, then zero pixels
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** OpenAI's gpt-4o-mini rule: 2833 + 5667 per 512 px tile after fitting 2048 and the short side to 768. */
function gpt4oMiniTokens(w: number, h: number): number {
  let [x, y] = [w, h];
  const fit = Math.min(1, 2048 / Math.max(x, y));
  [x, y] = [x * fit, y * fit];
  const s = Math.min(1, 768 / Math.min(x, y));
  [x, y] = [x * s, y * s];
  return 2833 + 5667 * Math.ceil(x / 512) * Math.ceil(y / 512);
}
/** Anthropic's rule: width x height / 750, after scaling down to at most 1.15 megapixels. */
function claudeTokens(w: number, h: number): number {
  const s = Math.min(1, Math.sqrt(1_150_000 / (w * h)));
  return Math.ceil((w * s * h * s) / 750);
}

type Part = Record<string, unknown>;
const pngOf = (p: Part): Buffer | null => {
  if (typeof p.image_url === 'string' && p.image_url.startsWith('data:image/png;base64,')) return Buffer.from(p.image_url.slice(22), 'base64');
  const src = p.source as Part | undefined;
  if (p.type === 'image' && src?.type === 'base64' && typeof src.data === 'string') return Buffer.from(src.data, 'base64');
  return null;
};

/** Bills text at 4 bytes a token and each image by its vendor's rule, as the real vendors do. */
function billedInput(body: Buffer, messages: boolean): number {
  const doc = JSON.parse(body.toString()) as { input?: { content: Part[] }[]; messages?: { content: Part[] }[] };
  let tokens = Math.ceil(body.length / 4);
  for (const item of (messages ? doc.messages : doc.input) ?? []) {
    for (const part of item.content) {
      // A PDF: each page billed as an image (Anthropic's ~1,600 tokens for a full page), whatever its bytes.
      const src = part.source as Part | undefined;
      if (part.type === 'document' && src?.media_type === 'application/pdf' && typeof src.data === 'string') tokens += 1600 * (Buffer.from(src.data, 'base64').toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0);
      const png = pngOf(part);
      const size = png ? imageSize(png) : null;
      if (size) tokens += messages ? claudeTokens(size.width, size.height) : gpt4oMiniTokens(size.width, size.height);
    }
  }
  return tokens;
}

let vendor: StandInVendor;
let held: { end(): void }[] = [];
beforeAll(async () => {
  vendor = await startStandInVendor((req, body, res) => {
    const messages = (req.url ?? '').endsWith('/messages');
    const doc = JSON.parse(body.toString()) as { model: string; stream?: boolean };
    const input = billedInput(body, messages);
    if (doc.stream) {
      // A stream that sends its first event and holds the rest (the client hangs up meanwhile).
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { model: doc.model } })}\n\n`);
      held.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    const usage = { input_tokens: input, output_tokens: 10 };
    res.end(messages ? JSON.stringify({ type: 'message', model: doc.model, content: [], usage }) : JSON.stringify({ object: 'response', model: doc.model, output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(async () => {
  for (const r of held) r.end();
  await vendor.close();
});

const WIDE = blackPng(2048, 768);
const openaiBody = (images: number, extra: Part = {}) => ({
  model: 'gpt-4o-mini',
  max_output_tokens: 1000,
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'describe these' }, ...Array.from({ length: images }, () => ({ type: 'input_image', image_url: `data:image/png;base64,${WIDE.toString('base64')}` }))] }],
  ...extra,
});
const post = (url: string, path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body), signal });

describe('inline images are reserved by their size, not their bytes', () => {
  test('a token cap: thirty 300-byte images billed 1.4M tokens are refused at a 1M cap; five go out', async () => {
    expect(WIDE.length).toBeLessThan(400);
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_000_000 });
    try {
      const big = await post(sc.s.url, '/v1/responses', openaiBody(30));
      const text = await big.text();
      expect(big.status).toBe(400);
      expect(text).toContain('peers_budget_exhausted');
      const small = await post(sc.s.url, '/v1/responses', openaiBody(5));
      expect(small.status).toBe(200);
      await small.text();
      const read = readLedgerFile(sc.s.ledger.path);
      expect(read.lines.filter(isRefusal)).toHaveLength(1);
      const [line] = read.lines.filter(isReply);
      expect(line!.input_tokens).toBeGreaterThan(5 * 48_000);
      expect(sc.s.ledger.totals.tokens).toBeLessThanOrEqual(1_000_000);
    } finally {
      await sc.close();
    }
  });

  test('a USD cap on Claude: sixty images billed $1.38 on claude-opus-4-1 are refused at a $1 cap', async () => {
    const png = blackPng(1568, 735);
    const sc = await sidecarFor('anthropic', vendor.port, { maxUsd: 1 });
    try {
      const body = { model: 'claude-opus-4-1', max_tokens: 1000, messages: [{ role: 'user', content: [{ type: 'text', text: 'describe these' }, ...Array.from({ length: 60 }, () => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') } }))] }] };
      const r = await post(sc.s.url, '/v1/messages', body);
      const text = await r.text();
      expect(r.status).toBe(402);
      expect(text).toContain('billing_error');
      expect(sc.s.ledger.totals.usd).toBeLessThanOrEqual(1);
      const one = await post(sc.s.url, '/v1/messages', { ...body, messages: [{ role: 'user', content: body.messages[0]!.content.slice(0, 3) }] });
      expect(one.status).toBe(200);
      await one.text();
      expect(sc.s.ledger.totals.usd).toBeLessThanOrEqual(1);
    } finally {
      await sc.close();
    }
  });

  test('an inline PDF bounds nothing by its bytes: a 100-page one of a few KiB, billed 160k tokens, is refused unsent at a 150k cap and goes out under a cap that covers the largest window', async () => {
    const pages = Array.from({ length: 100 }, (_, i) => `${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n`).join('');
    const pdf = Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 100 >> endobj\n${pages}%%EOF\n`);
    expect(pdf.length).toBeLessThan(8 * 1024);
    const body = { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') } }, { type: 'text', text: 'summarise it' }] }] };
    const capped = await sidecarFor('anthropic', vendor.port, { maxTokens: 150_000 });
    try {
      const r = await post(capped.s.url, '/v1/messages', body);
      const text = await r.text();
      expect(r.status).toBe(402);
      expect(text).toContain('billing_error');
      expect(capped.s.ledger.totals.tokens).toBe(0);
    } finally {
      await capped.close();
    }
    const roomy = await sidecarFor('anthropic', vendor.port, { maxTokens: 2_000_000 });
    try {
      const r = await post(roomy.s.url, '/v1/messages', body);
      expect(r.status).toBe(200);
      await r.text();
      expect(roomy.s.ledger.totals.tokens).toBeGreaterThan(160_000);
    } finally {
      await roomy.close();
    }
  });

  test('a stream hung up on before its usage is charged its images as input', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_000_000 });
    try {
      const ac = new AbortController();
      const r = await post(sc.s.url, '/v1/responses', openaiBody(5, { stream: true }), ac.signal);
      expect(r.status).toBe(200);
      const reader = r.body!.getReader();
      await reader.read();
      ac.abort();
      await waitFor('the ledger line of the stream hung up on', () => readLedgerFile(sc.s.ledger.path).lines.some(isReply));
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.cut_short).toBe('client-abort');
      expect(line!.input_tokens).toBeGreaterThanOrEqual(5 * gpt4oMiniTokens(2048, 768));
    } finally {
      await sc.close();
    }
  });

  test('under a cap, an image whose size cannot be read is refused unsent', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_000_000 });
    try {
      const body = { ...openaiBody(0), input: [{ role: 'user', content: [{ type: 'input_image', image_url: `data:image/png;base64,${Buffer.from('not an image at all').toString('base64')}` }] }] };
      const r = await post(sc.s.url, '/v1/responses', body);
      expect(r.status).toBe(400);
      expect(await r.text()).toContain('peers_image_unreadable');
      expect(readLedgerFile(sc.s.ledger.path).lines).toHaveLength(0);
    } finally {
      await sc.close();
    }
  });
});
