/**
 * The chunked transfer coding of a client's request body (auth-proxy/client-http.ts). Strict: a
 * chunk size is 1 to 12 hex digits (no sign, no `0x`, no whitespace), every line ends in CRLF, and
 * trailers are read, bounded and dropped (never merged into the head: a trailer cannot add a
 * Content-Length or a credential).
 */
const MAX_TRAILERS = 16 * 1024;

/** Decodes a chunked request body; trailers are read and dropped. */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailers' | 'done' = 'size';
  private remaining = 0;
  private line: Buffer = Buffer.alloc(0);
  private trailerBytes = 0;

  /**
   * Feeds bytes; hands the body bytes in them to `out` in one buffer (one per chunk cost a buffer
   * object per body byte sent as 1-byte chunks); returns what follows the body (once done).
   */
  feed(b: Buffer, out: (c: Buffer) => void): Buffer | string | null {
    const parts: Buffer[] = [];
    const r = this.decode(b, parts);
    if (parts.length) out(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    return r;
  }

  private decode(b: Buffer, out: Buffer[]): Buffer | string | null {
    while (b.length > 0) {
      if (this.state === 'data') {
        const take = b.subarray(0, this.remaining);
        out.push(take);
        this.remaining -= take.length;
        b = b.subarray(take.length);
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      const nl = b.indexOf('\n');
      if (nl < 0) {
        this.line = Buffer.concat([this.line, b]);
        if (this.line.length > 8192) return 'chunk line too long';
        return null;
      }
      const line = Buffer.concat([this.line, b.subarray(0, nl + 1)]).toString('latin1');
      this.line = Buffer.alloc(0);
      b = b.subarray(nl + 1);
      if (!line.endsWith('\r\n')) return 'malformed chunked body';
      const text = line.slice(0, -2);
      if (this.state === 'data-crlf') {
        if (text !== '') return 'malformed chunked body';
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = /^([0-9a-fA-F]{1,12})(;.*)?$/.exec(text);
        if (!m) return 'malformed chunk size';
        this.remaining = parseInt(m[1]!, 16);
        this.state = this.remaining === 0 ? 'trailers' : 'data';
      } else if (this.state === 'trailers' && text === '') {
        this.state = 'done';
        return b;
      } else if (this.state === 'trailers' && (this.trailerBytes += line.length) > MAX_TRAILERS) {
        return 'trailers too large';
      }
    }
    return null;
  }
}
