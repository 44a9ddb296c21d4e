/**
 * Attack: audio sent raw (`input_audio: {data, format}`, the content part a compatible router takes
 * beside images and passes to models such as Gemini, which bill audio by its length: 32 tokens a
 * second). It was bounded by its bytes, on the assumption that every codec spends more bytes a second
 * than it is billed tokens; a lossless codec spends almost nothing on silence: FLAC frames of 65,535
 * constant samples at 8 kHz are 13 bytes per 8 seconds, so two hours are 11 KiB (libsndfile decodes
 * the file built below as 7,200 s) and are billed 230k tokens, reserved at about 16k: past a
 * 150k-token cap in one request.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): raw audio is a
 * file the vendor decodes, reserved like a PDF, at the largest context window.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const crc8 = (b: number[]) => b.reduce((c, x) => {
  c ^= x;
  for (let i = 0; i < 8; i++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  return c;
}, 0);
const crc16 = (b: number[]) => b.reduce((c, x) => {
  c ^= x << 8;
  for (let i = 0; i < 8; i++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  return c;
}, 0);
const utf8 = (n: number) => (n < 0x80 ? [n] : n < 0x800 ? [0xc0 | (n >> 6), 0x80 | (n & 0x3f)] : [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)]);

/** `seconds` of 8 kHz, 8-bit mono silence as a FLAC stream of CONSTANT subframes. */
function silentFlac(seconds: number): Buffer {
  const rate = 8000;
  const block = 65535;
  const total = rate * seconds;
  const frames: number[] = [];
  for (let n = 0, left = total; left > 0; n++, left -= block) {
    const b = Math.min(block, left);
    // Sync, 16-bit block size at the end / 8 kHz, mono / 8 bits, frame number, block size - 1.
    const head = [0xff, 0xf8, 0x74, 0x02, ...utf8(n), (b - 1) >> 8, (b - 1) & 0xff];
    const frame = [...head, crc8(head), 0x00, 0x00];
    frames.push(...frame, crc16(frame) >> 8, crc16(frame) & 0xff);
  }
  const info = Buffer.alloc(34);
  info.writeUInt16BE(16, 0);
  info.writeUInt16BE(block, 2);
  // Sample rate (20 bits), channels - 1 (3), bits - 1 (5), total samples (36).
  info.writeBigUInt64BE((BigInt(rate) << 44n) | (7n << 36n) | BigInt(total), 10);
  return Buffer.concat([Buffer.from('fLaC'), Buffer.from([0x80, 0, 0, 34]), info, Buffer.from(frames)]);
}

/** What the stand-in bills a FLAC: its length, read as a decoder reads it, at 32 tokens a second. */
function flacSeconds(b: Buffer): number {
  if (b.toString('latin1', 0, 4) !== 'fLaC') return 0;
  const x = b.readBigUInt64BE(18);
  return Number(x & 0xfffffffffn) / Number(x >> 44n);
}

let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const m = /"data":"([A-Za-z0-9+/=]+)","format":"flac"/.exec(raw.toString());
    const audio = m ? Math.ceil(32 * flacSeconds(Buffer.from(m[1]!, 'base64'))) : 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: 10 + audio, output_tokens: 10, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('two hours of silence in 11 KiB of FLAC is reserved at the largest window, so a 150k-token cap refuses it unsent', async () => {
  const flac = silentFlac(7200);
  expect({ bytes: flac.length < 12 * 1024, seconds: flacSeconds(flac) }).toEqual({ bytes: true, seconds: 7200 });
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 150_000 });
  try {
    const body = { model: 'gpt-5.4', max_output_tokens: 100, input: [{ role: 'user', content: [{ type: 'input_text', text: 'transcribe it' }, { type: 'input_audio', input_audio: { data: flac.toString('base64'), format: 'flac' } }] }] };
    const r = await post(sc.s.url, body);
    // Without the fix it went out, reserved at about 16k tokens, and was billed 230k.
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 400, forwarded: 0, spent: 0 });
  } finally {
    await sc.close();
  }
});
