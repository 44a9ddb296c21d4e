/**
 * What the images a request carries inline can be billed as input, read from the images
 * themselves (SECURITY.md, "A request goes out only if the budget left covers it"). The budget
 * counts every body byte as a prompt token, but an image is billed by its pixels, not its bytes: a
 * 2048x768 one-bit PNG is about 300 bytes of base64, and OpenAI bills it as 1,445 tokens on
 * gpt-4o, 48,169 on gpt-4o-mini; Anthropic bills about width x height / 750 tokens. So each inline
 * image adds the most its size can be billed, by the vendor's own formula, to the reservation; an
 * image whose size cannot be read (a format neither vendor takes, a damaged header) cannot be
 * bounded, and under a cap is refused (request-screen.ts). Pure.
 *
 * Inline images are Anthropic `source: {type: "base64", media_type: "image/…", data}` blocks and
 * OpenAI image data URLs (Responses `input_image`, Chat `image_url: {url}`, an `input_file`'s
 * `file_data`); images by URL
 * or file id are refused before this (off-body-input.ts). A PDF (Anthropic `document`, OpenAI
 * `input_file`) cannot be bounded from its bytes: each page is billed as an image as well as its
 * text, and that text may be compressed a thousandfold. It is counted here (`documents`), and a
 * request carrying one is reserved as if its prompt filled the largest context window
 * (request-cost.ts, DOCUMENT_PROMPT_BOUND_TOKENS). So is any other inline file read as one (a
 * router's `video_url` data URL: a video is billed by its length, a frame a second, and an hour of
 * a still one is a few KiB).
 */
import { normalizeModel, type Vendor, tableRow } from './price-table.ts';
// What is data, never content the vendor reads (JSON Schemas, a tool call's arguments): one rule with the off-body walk.
import { isObject, requestEntries, walkRequestObjects } from './off-body-input.ts';

export type ImageSize = { width: number; height: number };

/** OpenAI's patch-based models bill 32 px patches times a multiplier; no published multiplier is above this. */
export const PATCH_MULTIPLIER_BOUND = 2.5;
/** OpenAI's tile-based models: base + per 512 px tile after scaling to fit 2048 and the short side to 768. */
const TILES_4O = { base: 85, tile: 170 };
/** gpt-4o-mini bills images at about 33 times gpt-4o's tokens (priced so the dollars match). */
const TILES_4O_MINI = { base: 2833, tile: 5667 };

function tiles(w: number, h: number): number {
  let width = w;
  let height = h;
  const fit = Math.min(1, 2048 / Math.max(width, height));
  width *= fit;
  height *= fit;
  const short = Math.min(1, 768 / Math.min(width, height));
  width *= short;
  height *= short;
  return Math.ceil(width / 512) * Math.ceil(height / 512);
}

/**
 * Whose image rule bills a model: its table row's vendor; a Claude model the table does not list
 * Anthropic's; any other unknown model no one's in particular (a router serves every vendor's).
 */
function imageRuleOf(model: string): Vendor | 'unknown' {
  const id = normalizeModel(model);
  return tableRow(id)?.vendor ?? (id.startsWith('claude-') ? 'anthropic' : 'unknown');
}

/**
 * The most one image of this size can be billed as input tokens. Vendors scale images down, never
 * up, so the original size bounds every formula. `models`: every model the request may be served
 * by. The API shape's own rule applies, and each model's too: a router speaking Anthropic's shape
 * serves OpenAI's models, billed by OpenAI's rules (gpt-4o-mini's 48,169 tokens for an image
 * Anthropic's rule puts at 2,097: cross-shape-image-budget.test.ts). A model the table does not
 * list is taken at the dearest rule, gpt-4o-mini's, the dearest in tokens (a Claude one on
 * Anthropic's shape at Anthropic's).
 */
export function imageTokenBound(size: ImageSize, vendor: Vendor, models: readonly string[]): number {
  const { width: w, height: h } = size;
  const anthropicRule = Math.ceil((w * h) / 750);
  const t = tiles(w, h);
  const patches = Math.ceil(w / 32) * Math.ceil(h / 32);
  const openaiRule = Math.max(Math.ceil(patches * PATCH_MULTIPLIER_BOUND), TILES_4O.base + TILES_4O.tile * t);
  const miniRule = TILES_4O_MINI.base + TILES_4O_MINI.tile * t;
  let bound = vendor === 'anthropic' ? anthropicRule : openaiRule;
  for (const m of models) {
    const rule = imageRuleOf(m);
    if (rule === 'openai') bound = Math.max(bound, openaiRule, normalizeModel(m) === 'gpt-4o-mini' ? miniRule : 0);
    // An unknown model on OpenAI's shape was taken at gpt-4o-mini's rule before; a Claude one still is there.
    else if (rule === 'unknown' || (vendor === 'openai' && !tableRow(normalizeModel(m)))) bound = Math.max(bound, openaiRule, miniRule, anthropicRule);
  }
  return bound;
}

const u16be = (b: Buffer, i: number) => b.readUInt16BE(i);
const u16le = (b: Buffer, i: number) => b.readUInt16LE(i);
const u24le = (b: Buffer, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

/** The size a PNG, JPEG, GIF or WebP file states, or null (another format, or a header cut short). */
export function imageSize(b: Buffer): ImageSize | null {
  try {
    if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') return sized(b.readUInt32BE(16), b.readUInt32BE(20));
    if (b.length >= 10 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return gifSize(b);
    if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
      const chunk = b.toString('latin1', 12, 16);
      if (chunk === 'VP8 ') return sized(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
      if (chunk === 'VP8L') {
        const bits = b.readUInt32LE(21);
        return sized((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
      }
      if (chunk === 'VP8X') return sized(u24le(b, 24) + 1, u24le(b, 27) + 1);
      return null;
    }
    if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  } catch {
    // A read past the end: a header cut short.
  }
  return null;
}

const sized = (width: number, height: number): ImageSize | null => (width > 0 && height > 0 ? { width, height } : null);

/**
 * A GIF's size as a decoder draws it: its logical screen, grown to hold every frame where the
 * frame says it sits. A 35-byte GIF stating a 1×1 screen and one 1×1 frame at (2047, 767) decodes
 * (Pillow) as 2048×768, and was reserved as 1×1. Every block is walked to the trailer; a file cut
 * short of it (or longer than what is read, IMAGE_HEAD_CHARS) is unreadable, the safe side.
 */
function gifSize(b: Buffer): ImageSize | null {
  let width = u16le(b, 6);
  let height = u16le(b, 8);
  const colorTable = (flags: number) => (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
  let i = 13 + colorTable(b[10]!);
  // Data sub-blocks: a length byte, that many bytes, until a zero length.
  const skipSubBlocks = (): boolean => {
    for (;;) {
      const n = b[i];
      if (n === undefined) return false;
      i += 1 + n;
      if (n === 0) return true;
    }
  };
  for (;;) {
    const block = b[i];
    if (block === 0x3b) return sized(width, height);
    if (block === 0x21) {
      i += 2; // introducer and label
      if (!skipSubBlocks()) return null;
    } else if (block === 0x2c) {
      if (i + 10 > b.length) return null;
      width = Math.max(width, u16le(b, i + 1) + u16le(b, i + 5));
      height = Math.max(height, u16le(b, i + 3) + u16le(b, i + 7));
      i += 10 + colorTable(b[i + 9]!) + 1; // descriptor, local color table, LZW minimum code size
      if (!skipSubBlocks()) return null;
    } else return null; // cut short, or no GIF block
  }
}

/**
 * The start-of-frame segment's size, walking the segments by their lengths (an EXIF thumbnail sits
 * inside one) up to the scan. A second frame header before the scan is unreadable: readers differ
 * on which one sizes the image (Pillow's Image.open takes the last, this walk took the first), and
 * 1x1 then 2048x768 was reserved as 1x1 (image-input.test.ts, "a JPEG two readers size two ways").
 */
function jpegSize(b: Buffer): ImageSize | null {
  let i = 2;
  let frame: ImageSize | null | undefined;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9) return null; // the end before any scan
    if (marker === 0xda) return frame ?? null; // the scan: the frame header before it, if one
    const len = u16be(b, i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (frame !== undefined) return null;
      frame = sized(u16be(b, i + 7), u16be(b, i + 5));
    }
    i += 2 + len;
  }
  return null;
}

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/i;
/**
 * Only this much of an image is decoded to read its size (a multiple of 4 base64 characters: 256
 * KiB): the header is at its start, and a JPEG's frame header after its metadata segments. Decoding
 * whole images would hold up to 24 MiB beside each 32 MiB body the sidecar's body bound counts
 * (SECURITY.md, "Limits"); a JPEG whose frame header lies further in is unreadable, the safe side.
 */
export const IMAGE_HEAD_CHARS = 4 * 87_382;
const head = (base64: string) => Buffer.from(base64.slice(0, IMAGE_HEAD_CHARS), 'base64');

/**
 * The image a data URL carries, or null when it is no image data URL. `bad` when it says image but
 * is not base64. Under `image_url` every data URL is one, whatever type it states: nothing but an
 * image belongs there, and a PNG sent as `data:text/plain;base64,…` was counted as neither image
 * nor document, while a vendor that decodes it bills its pixels.
 */
function dataUrlImage(url: string, anyType = false): Buffer | 'bad' | null {
  const m = DATA_URL.exec(url.trimStart());
  if (!m || !(anyType || m[1]!.toLowerCase().startsWith('image/'))) return null;
  if (!/;base64$/i.test(m[2] ?? '')) return 'bad';
  const start = url.length - url.trimStart().length + m[0].length;
  return head(url.slice(start, start + IMAGE_HEAD_CHARS));
}

/**
 * Where a data URL is a file the vendor decodes whatever type it states: it reads a file by its
 * name and contents (OpenAI's `input_file` by its file: a PDF's pages billed as images, a zipped
 * .docx or .xlsx extracted), and a router decodes a `video_url` as the video it is; a 100-page PDF
 * sent as `data:text/plain` under `file_data` was reserved as a few KiB of text and billed 160k
 * tokens (stated-text-file-budget.test.ts). The `{url}` object of a media part counts as its key.
 */
const FILE_KEYS = new Set(['image_url', 'video_url', 'audio_url', 'file_data']);
const MEDIA_KEYS = new Set(['image_url', 'video_url', 'audio_url']);
/** Where a data URL is read as a file unless it states a text type (`url` elsewhere); a data URL in a message's text is text. */
const DATA_URL_KEYS = new Set([...FILE_KEYS, 'url']);

export type ImageInput = { images: number; tokens: number; unreadable: string | null; /** Inline PDFs and other files that are neither images nor text. */ documents: number };

/**
 * Every inline image in the body, its billable tokens bounded from its size (summed), and the
 * first one whose size cannot be read. One walk of the body.
 */
export function imageInput(doc: Record<string, unknown>, vendor: Vendor, models: readonly string[]): ImageInput {
  const out: ImageInput = { images: 0, tokens: 0, unreadable: null, documents: 0 };
  const count = (bytes: Buffer | 'bad', where: string) => {
    out.images++;
    const size = bytes === 'bad' ? null : imageSize(bytes);
    if (size) out.tokens += imageTokenBound(size, vendor, models);
    else out.unreadable ??= `an inline image (${where}) whose size peers cannot read (PNG, JPEG, GIF and WebP are read)`;
  };
  // Chat's and routers' `{url}` objects of a media part, with the part's key: their `url` is read as that file.
  const mediaObjects = new WeakMap<object, string>();
  walkRequestObjects(doc, (v) => {
    // Anthropic: {type: "base64", media_type, data}; a PDF is not an image, and neither is a file
    // stated as text, which is no bound on what it is (text has its own source, `type: "text"`).
    if (v.type === 'base64' && typeof v.data === 'string') {
      const media = typeof v.media_type === 'string' ? v.media_type.toLowerCase() : '';
      if (media.startsWith('application/pdf') || media.startsWith('text/')) out.documents++;
      else count(head(v.data), `media_type ${JSON.stringify(media.slice(0, 64))}`);
    }
    // OpenAI: "image_url": "data:image/…" (Responses), {url: "data:image/…"} (Chat), an input_file's "file_data".
    // Raw audio (`input_audio: {data, format}`) is billed by its length, and a lossless codec spends
    // almost no bytes on silence: 11 KiB of FLAC are two hours (raw-audio-budget.test.ts).
    if (isObject(v.input_audio) && typeof v.input_audio.data === 'string') out.documents++;
    const media = mediaObjects.get(v);
    for (const [key, x] of requestEntries(v, v === doc)) {
      if (MEDIA_KEYS.has(key) && x !== null && typeof x === 'object' && !Array.isArray(x)) mediaObjects.set(x, key);
      if (typeof x !== 'string' || !DATA_URL_KEYS.has(key)) continue;
      const as = key === 'url' && media ? media : key;
      const img = dataUrlImage(x, as === 'image_url');
      if (img !== null) count(img, as);
      // Anything else read as a file (a PDF, a video: billed by its pages or its length) bounds nothing by its bytes.
      else if (as === 'file_data' || (DATA_URL.test(x.trimStart()) && (FILE_KEYS.has(as) || !/^\s*data:text\//i.test(x)))) out.documents++;
    }
    return undefined;
  });
  return out;
}
