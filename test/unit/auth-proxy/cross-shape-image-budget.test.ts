/**
 * Attack: images reserved by the API shape's rule, billed by the model's. A router speaking the
 * Anthropic Messages shape (OpenRouter's `/v1/messages`) serves any model, OpenAI's too; the
 * reservation bounded each inline image by Anthropic's rule (width x height / 750: 2,097 tokens for
 * 2048x768) because the upstream's shape is Anthropic's, while gpt-4o-mini bills that image 48,169
 * tokens. Thirty such images (a few KB) were reserved at ~70k tokens and billed 1.45M, past a
 * 1M-token cap in one request.
 *
 * The bound (SECURITY.md, "An image is reserved by its pixels"): each image is bounded by the rule
 * of every model the request may be served by (its table row's vendor; an unknown model by both).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { imageTokenBound } from '../../../auth-proxy/usage/image-input.ts';
import { type Egress, type Sidecar, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** A PNG header stating its size (all the reservation reads of it). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr[16] = 1;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
}
/** gpt-4o-mini's rule for a 2048x768 image: 2833 + 5667 per tile, 4x2 tiles. */
const MINI_TOKENS = 2833 + 5667 * 8;
const IMAGES = 30;
const CAP = 1_000_000;

let vendor: StandInVendor;
let forwarded = 0;
let egress: Egress;
let s: Sidecar;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { model: string; messages: { content: unknown[] }[] };
    const images = doc.messages.flatMap((m) => m.content).length - 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'message', model: doc.model, content: [], usage: { input_tokens: 20 + images * MINI_TOKENS, output_tokens: 10 } }));
  });
  egress = await startEgress(vendor.port);
  const router = { ...providerUpstream({ name: 'openrouter', kind: 'anthropic-compatible', base_url: 'https://openrouter.ai/api', key_env: 'OPENROUTER_API_KEY', port: 8090 } as Parameters<typeof providerUpstream>[0]), pathPrefix: '' };
  s = await startSidecar({ egress, vendorPort: vendor.port, upstream: router, credentials: new ApiKeySource('x-api-key', 'sk-or-cross-shape-000'), caps: { maxTokens: CAP } });
});
afterAll(async () => {
  await s.close();
  await egress.close();
  await vendor.close();
});

test('an OpenAI model behind an Anthropic-shaped router has its images reserved by its own rule, so the token cap holds', async () => {
  const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngHeader(2048, 768).toString('base64') } };
  const body = { model: 'openai/gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'compare them' }, ...Array.from({ length: IMAGES }, () => image)] }] };
  const r = await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // Without the fix it went out, reserved at ~70k tokens, and was billed 1.45M.
  expect({ status: r.status, forwarded, withinCap: s.ledger.totals.tokens <= CAP }).toEqual({ status: 402, forwarded: 0, withinCap: true });
});

test('a Claude model keeps Anthropic\'s rule; a model no table row names is bounded by both vendors\' rules', () => {
  const size = { width: 2048, height: 768 };
  expect(imageTokenBound(size, 'anthropic', ['claude-sonnet-4-5'])).toBe(Math.ceil((2048 * 768) / 750));
  expect(imageTokenBound(size, 'anthropic', ['openai/gpt-4o-mini'])).toBeGreaterThanOrEqual(MINI_TOKENS);
  expect(imageTokenBound(size, 'anthropic', ['some/new-model'])).toBeGreaterThanOrEqual(MINI_TOKENS);
});
