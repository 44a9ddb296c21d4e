/**
 * The request body as the vendor will read it, for the budget (SECURITY.md, "A request goes out
 * only if the budget left covers it"). The reservation bounds the prompt by the body's bytes and
 * reads `model` and `max_tokens` from its JSON; a body sent with `Content-Encoding` (Codex
 * compresses its requests with zstd; the vendors decode it) is small on the wire and not JSON, so
 * reserving on the wire bytes would let a 100 KB request carry a prompt of many megabytes past
 * the cap. The body is therefore decoded here, with the same size limit as a plain body (a
 * decompression bomb is refused, 413), and an encoding peers cannot decode is refused (415) rather
 * than forwarded unmeasured. The vendor still gets the bytes the client sent.
 */
export type DecodedBody = { ok: true; body: Buffer } | { ok: false; status: 413 | 415; reason: string };

type Decoder = (b: Buffer, o: { maxOutputLength: number; info: true }) => unknown;
/**
 * Each coding's decoder, by its name in node:zlib, which is loaded with the first compressed body:
 * an idle sidecar does not pay for it (its RSS has little room under the 40 MiB of BENCHMARKS.md,
 * "Memory").
 */
const DECODERS: Record<string, 'gunzipSync' | 'inflateSync' | 'brotliDecompressSync' | 'zstdDecompressSync'> = {
  gzip: 'gunzipSync',
  'x-gzip': 'gunzipSync',
  deflate: 'inflateSync',
  br: 'brotliDecompressSync',
  zstd: 'zstdDecompressSync',
};

function decoderFor(coding: string): Decoder | undefined {
  const name = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
  return name ? (process.getBuiltinModule('node:zlib')[name] as unknown as Decoder) : undefined;
}

/** `body` decoded per `contentEncoding` (at most one coding besides identity). */
export function decodedRequestBody(body: Buffer, contentEncoding: string | string[] | undefined, maxBytes: number): DecodedBody {
  const header = Array.isArray(contentEncoding) ? contentEncoding.join(',') : (contentEncoding ?? '');
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  // One decoding pass per request: each is synchronous, on the thread every peer's requests share,
  // and a head listing 2,000 codings of stored layers held the sidecar 14 s (compressed-body-budget.test.ts).
  // The CLIs send one coding (Codex: zstd) or none.
  if (codings.length > 1) return { ok: false, status: 415, reason: `request bodies in more than one Content-Encoding (${codings.length}) are not forwarded; send one` };
  let out = body;
  for (const coding of codings.reverse()) {
    const decode = decoderFor(coding);
    if (!decode) return { ok: false, status: 415, reason: `request bodies in Content-Encoding ${JSON.stringify(coding.slice(0, 32))} are not forwarded (the budget could not measure them)` };
    try {
      const { buffer, engine } = decode(out, { maxOutputLength: maxBytes, info: true }) as { buffer: Buffer; engine: { bytesWritten: number } };
      // Bytes after the end of the stream (a second deflate or brotli stream, junk after a zstd
      // frame) are not decoded here; a decoder that read on would see more prompt than was reserved.
      if (engine.bytesWritten !== out.length) return { ok: false, status: 415, reason: `request body has ${out.length - engine.bytesWritten} bytes after the end of its ${coding} stream` };
      out = buffer;
    } catch (e) {
      const tooLarge = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
      if (tooLarge) return { ok: false, status: 413, reason: `request body exceeds ${maxBytes} bytes once decoded (${coding})` };
      return { ok: false, status: 415, reason: `request body does not decode as ${coding}` };
    }
    if (out.length > maxBytes) return { ok: false, status: 413, reason: `request body exceeds ${maxBytes} bytes once decoded (${coding})` };
  }
  return { ok: true, body: out };
}
