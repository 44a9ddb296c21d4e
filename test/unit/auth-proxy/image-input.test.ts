/**
 * The pure rules of auth-proxy/usage/image-input.ts: the size each image format states, the most
 * an image of a size can be billed per vendor, and the walk that finds inline images in a body.
 * The attack on the real sidecar is image-input-budget.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import { imageInput, imageSize, imageTokenBound, PATCH_MULTIPLIER_BOUND } from '../../../auth-proxy/usage/image-input.ts';
import { DOCUMENT_PROMPT_BOUND_TOKENS, PROMPT_OVERHEAD_TOKENS, requestFactsOf, ROUTED_DOCUMENT_PROMPT_BOUND_TOKENS } from '../../../auth-proxy/usage/request-cost.ts';
import { unboundedUnderCap } from '../../../auth-proxy/usage/request-screen.ts';

const png = (w: number, h: number) => {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
};
/** A whole GIF: a w×h screen with a global color table of two, one frame of `frame` at its place, the trailer. */
const gif = (w: number, h: number, frame = { left: 0, top: 0, width: w, height: h }) => {
  const head = Buffer.alloc(13);
  head.write('GIF89a', 0, 'latin1');
  head.writeUInt16LE(w, 6);
  head.writeUInt16LE(h, 8);
  head[10] = 0x80; // a global color table of 2 entries
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(frame.left, 1);
  descriptor.writeUInt16LE(frame.top, 3);
  descriptor.writeUInt16LE(frame.width, 5);
  descriptor.writeUInt16LE(frame.height, 7);
  const graphicControl = Buffer.from([0x21, 0xf9, 4, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, Buffer.from([0, 0, 0, 255, 255, 255]), graphicControl, descriptor, Buffer.from([2, 2, 0x44, 0x01, 0, 0x3b])]);
};
const webp = (chunk: 'VP8 ' | 'VP8L' | 'VP8X', w: number, h: number) => {
  const b = Buffer.alloc(40);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBP', 8, 'latin1');
  b.write(chunk, 12, 'latin1');
  if (chunk === 'VP8 ') {
    b.writeUInt16LE(w, 26);
    b.writeUInt16LE(h, 28);
  } else if (chunk === 'VP8L') {
    b[20] = 0x2f;
    b.writeUInt32LE(((w - 1) & 0x3fff) | (((h - 1) & 0x3fff) << 14), 21);
  } else {
    b.writeUIntLE(w - 1, 24, 3);
    b.writeUIntLE(h - 1, 27, 3);
  }
  return b;
};
/** A JPEG with an APP1 (EXIF) segment holding a thumbnail's own SOF, then the real SOF0. */
const jpeg = (w: number, h: number) => {
  const thumbSof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.from([0, 2 + thumbSof.length]), thumbSof]);
  const sof = Buffer.from([0xff, 0xc2, 0x00, 0x11, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof, Buffer.from([0xff, 0xda, 0, 2])]);
};

describe('imageSize reads the size each format states', () => {
  test('PNG, GIF, WebP (lossy, lossless, extended) and JPEG past an EXIF thumbnail', () => {
    expect(imageSize(png(2048, 768))).toEqual({ width: 2048, height: 768 });
    expect(imageSize(gif(640, 480))).toEqual({ width: 640, height: 480 });
    expect(imageSize(webp('VP8 ', 1000, 500))).toEqual({ width: 1000, height: 500 });
    expect(imageSize(webp('VP8L', 1000, 500))).toEqual({ width: 1000, height: 500 });
    expect(imageSize(webp('VP8X', 9000, 7000))).toEqual({ width: 9000, height: 7000 });
    expect(imageSize(jpeg(4032, 3024))).toEqual({ width: 4032, height: 3024 });
  });

  test('a GIF is as large as its frames say they reach, not only its screen: a 1×1 screen with a frame at (2047, 767) decodes as 2048×768', () => {
    const liar = gif(1, 1, { left: 2047, top: 767, width: 1, height: 1 });
    expect(liar.length).toBeLessThan(64);
    expect(imageSize(liar)).toEqual({ width: 2048, height: 768 });
    expect(imageSize(gif(1, 1, { left: 0, top: 0, width: 8000, height: 8000 }))).toEqual({ width: 8000, height: 8000 });
    // Cut short of its trailer (or past what is read of it): unreadable, refused under a cap.
    expect(imageSize(liar.subarray(0, liar.length - 1))).toBeNull();
  });

  test('anything else, a header cut short, or a zero size, is unreadable', () => {
    for (const b of [Buffer.from('hello'), png(2048, 768).subarray(0, 20), png(0, 10), jpeg(100, 100).subarray(0, 30), Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), Buffer.alloc(0), Buffer.from('<svg width="9999" height="9999"/>')]) {
      expect(imageSize(b)).toBeNull();
    }
  });
});

describe('imageTokenBound: the most an image of a size can be billed', () => {
  test('Anthropic: width x height / 750 on the original size (it only scales down)', () => {
    expect(imageTokenBound({ width: 1568, height: 735 }, 'anthropic', ['claude-opus-4-1'])).toBe(Math.ceil((1568 * 735) / 750));
    expect(imageTokenBound({ width: 4032, height: 3024 }, 'anthropic', [])).toBeGreaterThanOrEqual(4005);
  });

  test('OpenAI: at least every published rule for a listed model', () => {
    for (const [w, h] of [[2048, 768], [1024, 1024], [4032, 3024], [10, 10], [10000, 10000]] as const) {
      const bound = imageTokenBound({ width: w, height: h }, 'openai', ['gpt-6.1-sol']);
      const patches = Math.ceil(w / 32) * Math.ceil(h / 32);
      expect(bound).toBeGreaterThanOrEqual(Math.ceil(patches * 2.46)); // gpt-4.1-nano's multiplier, the largest published
      expect(bound).toBeGreaterThanOrEqual(Math.ceil(patches * 1.2)); // a GPT-6 "auto" image, uncapped at 12 MP
      expect(bound).toBeGreaterThanOrEqual(85 + 170 * 8 * (w >= 512 && h >= 512 ? 1 : 0)); // gpt-4o high detail, up to 8 tiles
    }
    expect(PATCH_MULTIPLIER_BOUND).toBeGreaterThanOrEqual(2.46);
  });

  test('gpt-4o-mini (and any model the table does not list) at its rule: 2833 + 5667 per tile', () => {
    expect(imageTokenBound({ width: 2048, height: 768 }, 'openai', ['gpt-4o-mini-2024-07-18'])).toBe(2833 + 5667 * 8);
    expect(imageTokenBound({ width: 10, height: 10 }, 'openai', ['some-new-model'])).toBe(2833 + 5667);
    expect(imageTokenBound({ width: 2048, height: 768 }, 'openai', ['gpt-5.4', 'gpt-4o-mini'])).toBe(2833 + 5667 * 8);
    expect(imageTokenBound({ width: 10, height: 10 }, 'openai', ['gpt-5.4'])).toBeLessThan(2833);
  });
});

const dataUrl = (b: Buffer, mime = 'image/png') => `data:${mime};base64,${b.toString('base64')}`;

describe('imageInput: every inline image in a body', () => {
  test('Anthropic base64 sources anywhere (in tool results too); PDFs and text documents are not images, a PDF is counted as a document', () => {
    const img = (b: Buffer) => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: b.toString('base64') } });
    const doc = {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'user', content: [img(png(750, 100)), { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [img(png(1500, 100))] }] },
      ],
    };
    expect(imageInput(doc, 'anthropic', ['claude-sonnet-4-5'])).toEqual({ images: 2, tokens: 100 + 200, unreadable: null, documents: 1 });
  });

  test('OpenAI data URLs as Responses input_image, Chat image_url objects and input_file data; a PDF, or a data URL in text, is no image', () => {
    const doc = { model: 'gpt-5.4', input: [{ role: 'user', content: [{ type: 'input_image', image_url: dataUrl(gif(32, 32)) }, { type: 'image_url', image_url: { url: dataUrl(png(64, 32)) } }, { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=' }, { type: 'input_file', file_data: dataUrl(png(100, 100)) }, { type: 'input_text', text: 'data:image/png;base64,bm90IGFuIGltYWdl' }] }] };
    const r = imageInput(doc, 'openai', ['gpt-5.4']);
    expect(r.images).toBe(3);
    expect(r.documents).toBe(1);
    expect(r.unreadable).toBeNull();
    expect(r.tokens).toBe(imageTokenBound({ width: 32, height: 32 }, 'openai', ['gpt-5.4']) + imageTokenBound({ width: 64, height: 32 }, 'openai', ['gpt-5.4']) + imageTokenBound({ width: 100, height: 100 }, 'openai', ['gpt-5.4']));
  });

  // Attack: a PNG sent as `data:text/plain;base64,…` under image_url was counted as neither image
  // nor document, its pixels unbounded if the vendor decodes it.
  test('under image_url a data URL of any stated type is an image: its size is read, or it is unreadable', () => {
    const b64 = png(2048, 768).toString('base64');
    const asText = imageInput({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: `data:text/plain;base64,${b64}` }] }] }, 'openai', ['gpt-5.4']);
    expect(asText).toMatchObject({ images: 1, unreadable: null });
    expect(asText.tokens).toBe(imageTokenBound({ width: 2048, height: 768 }, 'openai', ['gpt-5.4']));
    expect(imageInput({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGVsbG8=' } }] }] }, 'openai', ['gpt-5.4']).unreadable).toContain('image_url');
  });

  test('an image whose size cannot be read is named; a tool call\'s arguments and schemas are data, not images', () => {
    expect(imageInput({ input: [{ type: 'input_image', image_url: dataUrl(Buffer.from('nope')) }] }, 'openai', []).unreadable).toContain('image_url');
    expect(imageInput({ input: [{ type: 'input_image', image_url: 'data:image/png,rawbytes' }] }, 'openai', []).unreadable).not.toBeNull();
    expect(imageInput({ messages: [{ content: [{ type: 'image', source: { type: 'base64', data: 'AAAA' } }] }] }, 'anthropic', []).unreadable).not.toBeNull();
    const data = { type: 'base64', media_type: 'image/png', data: 'AAAA' };
    expect(imageInput({ messages: [{ content: [{ type: 'tool_use', id: 't', name: 'x', input: { source: data } }] }], tools: [{ name: 'x', input_schema: { default: data } }] }, 'anthropic', [])).toEqual({ images: 0, tokens: 0, unreadable: null, documents: 0 });
  });
});

describe('the reservation and the screen', () => {
  test('a request carrying an inline PDF is reserved as if its prompt filled the largest context window: its bytes bound nothing (pages are billed as images, its text may be compressed)', () => {
    const pdf = 'JVBERi0xLjcK';
    const anthropic = requestFactsOf({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf } }] }] }, 300, 'anthropic');
    expect(anthropic.promptTokensBound).toBe(DOCUMENT_PROMPT_BOUND_TOKENS);
    const openai = requestFactsOf({ model: 'gpt-5.4', input: [{ role: 'user', content: [{ type: 'input_file', filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdf}` }] }] }, 300, 'openai');
    expect(openai.promptTokensBound).toBe(DOCUMENT_PROMPT_BOUND_TOKENS);
    // Through a router, whose models serve windows up to 10M tokens, the bound is that window.
    const routed = requestFactsOf({ model: 'google/gemini-2.5-pro', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${pdf}` } }] }] }, 300, 'openai', true);
    expect(routed.promptTokensBound).toBe(ROUTED_DOCUMENT_PROMPT_BOUND_TOKENS);
    expect(requestFactsOf({ model: 'google/gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] }, 300, 'openai', true).promptTokensBound).toBeLessThan(10_000);
    // A file is read by its name and contents, not the type its data URL states (stated-text-file-budget.test.ts);
    // text in a message that happens to be a data URL, and a body without files, keep the bound of their bytes.
    expect(requestFactsOf({ model: 'gpt-5.4', input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'data:text/plain;base64,aGk=' }] }] }, 300, 'openai').promptTokensBound).toBe(DOCUMENT_PROMPT_BOUND_TOKENS);
    expect(requestFactsOf({ model: 'gpt-5.4', input: [{ role: 'user', content: [{ type: 'input_text', text: 'data:text/plain;base64,aGk=' }] }] }, 300, 'openai').promptTokensBound).toBeLessThan(10_000);
    expect(requestFactsOf({ model: 'gpt-5.4', input: 'hi' }, 300, 'openai').promptTokensBound).toBeLessThan(10_000);
  });

  test('the images\' bound is added to the prompt bound; a body without images is unchanged', () => {
    const doc = { model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_image', image_url: dataUrl(png(2048, 768)) }] }] };
    const f = requestFactsOf(doc, 500, 'openai');
    expect(f.imageTokens).toBe(2833 + 5667 * 8);
    expect(f.promptTokensBound).toBe(500 + PROMPT_OVERHEAD_TOKENS + 2833 + 5667 * 8);
    const plain = requestFactsOf({ model: 'gpt-5.4', input: 'hi' }, 500, 'openai');
    expect(plain.promptTokensBound).toBe(500 + PROMPT_OVERHEAD_TOKENS);
    expect('imageTokens' in plain).toBe(false);
  });

  test('under a cap an unreadable image is refused (peers_image_unreadable); a readable one passes', () => {
    expect(unboundedUnderCap({ model: 'gpt-5.4', input: [{ type: 'input_image', image_url: dataUrl(Buffer.from('nope')) }] }, 'openai')).toMatchObject({ ok: false, code: 'peers_image_unreadable' });
    expect(unboundedUnderCap({ model: 'gpt-5.4', input: [{ type: 'input_image', image_url: dataUrl(png(10, 10)) }] }, 'openai')).toBeNull();
  });
});

describe('a JPEG two readers size two ways is unreadable', () => {
  // Attack: a JPEG stating two frame headers. The first was taken for its size; Pillow (Image.open)
  // reports the last one it meets before the scan, so 1x1 then 2048x768 was reserved as 1x1 by
  // peers and sized 2048x768 by such a reader (gpt-4o-mini bills 48,169 tokens for it).
  test('a second start-of-frame before the scan makes it unreadable (refused under a cap); one frame header still reads', () => {
    const sof = (w: number, h: number) => Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x01, 0x01, 0x11, 0x00]);
    const twoFrames = Buffer.concat([Buffer.from([0xff, 0xd8]), sof(1, 1), sof(2048, 768), Buffer.from([0xff, 0xda, 0, 2])]);
    expect(imageSize(twoFrames)).toBeNull();
    expect(imageInput({ input: [{ type: 'input_image', image_url: dataUrl(twoFrames, 'image/jpeg') }] }, 'openai', ['gpt-4o-mini']).unreadable).not.toBeNull();
    expect(imageSize(Buffer.concat([Buffer.from([0xff, 0xd8]), sof(2048, 768), Buffer.from([0xff, 0xda, 0, 2])]))).toEqual({ width: 2048, height: 768 });
  });
});

describe('only the head of an image is decoded', () => {
  test('a large image is read from its first 256 KiB; a JPEG whose frame header lies past them is unreadable', () => {
    const big = Buffer.concat([png(4000, 3000), Buffer.alloc(8 * 1024 * 1024)]);
    expect(imageInput({ input: [{ type: 'input_image', image_url: dataUrl(big) }] }, 'openai', ['gpt-5.4'])).toMatchObject({ images: 1, unreadable: null });
    // APP segments of 64 KiB each (as split ICC profiles are) before the frame header.
    const app = Buffer.concat([Buffer.from([0xff, 0xe2, 0xff, 0xff]), Buffer.alloc(0xffff - 2)]);
    const farJpeg = (segments: number) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...Array.from({ length: segments }, () => app), jpeg(100, 100).subarray(2)]);
    expect(imageSize(farJpeg(2))).toEqual({ width: 100, height: 100 });
    expect(imageInput({ input: [{ type: 'input_image', image_url: dataUrl(farJpeg(2), 'image/jpeg') }] }, 'openai', []).unreadable).toBeNull();
    expect(imageInput({ input: [{ type: 'input_image', image_url: dataUrl(farJpeg(5), 'image/jpeg') }] }, 'openai', []).unreadable).not.toBeNull();
  });
});
