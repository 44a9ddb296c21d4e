/**
 * Attack: video (and audio) in a request, which a compatible router takes beside images
 * (OpenRouter's `video_url` content part, by URL or as a data URL, for models such as Gemini) and
 * bills by its length, not its bytes: a frame a second at some 258 tokens each, so an hour of a
 * still, tightly compressed video is a few KiB of base64 and about a million input tokens. The
 * screen knew `image_url` and `file_data` only: a video by URL went out (the vendor fetched it,
 * outside the egress allow-list, and billed it as input), and an inline one was reserved by its
 * bytes, a few thousand tokens, against a bill of a million.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): a `video_url`
 * or `audio_url` that is not a data URL reaches outside and is refused, cap or not; inline media
 * that is neither an image nor text, wherever a data URL is read as a file, bounds nothing by its
 * bytes and is reserved like a PDF, at the largest context window.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** A stand-in router billing a video a million input tokens (an hour at a frame a second), whatever its bytes. */
const VIDEO_TOKENS = 1_000_000;
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const video = raw.toString().includes('video');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: video ? VIDEO_TOKENS : 10, output_tokens: 10, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const ask = (part: Record<string, unknown>) => ({ model: 'gpt-5.4', max_output_tokens: 100, input: [{ role: 'user', content: [{ type: 'input_text', text: 'describe it' }, part] }] });
const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('an inline video is reserved at the largest context window, so a 100k-token cap refuses it unsent', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 100_000 });
  try {
    const video = `data:video/mp4;base64,${Buffer.alloc(3000, 0).toString('base64')}`;
    const r = await post(sc.s.url, ask({ type: 'video_url', video_url: { url: video } }));
    // Without the fix it went out, reserved at ~5k tokens, and was billed a million.
    expect({ status: r.status, forwarded, withinCap: sc.s.ledger.totals.tokens <= 100_000 }).toEqual({ status: 400, forwarded: 0, withinCap: true });
  } finally {
    await sc.close();
  }
});

test('a video by URL is refused cap or not: the vendor would fetch it for the peer', async () => {
  const sc = await sidecarFor('openai', vendor.port, {});
  try {
    const r = await post(sc.s.url, ask({ type: 'video_url', video_url: { url: 'https://video.example/an-hour.mp4' } }));
    expect({ status: r.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
    expect(r.text).toContain('peers_vendor_reach');
  } finally {
    await sc.close();
  }
});
