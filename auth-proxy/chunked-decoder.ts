/**
 * The chunked transfer coding (RFC 9112, "Chunked Transfer Coding"), for both directions of the
 * sidecar: a client's request body (auth-proxy/client-http.ts) and a vendor's reply body
 * (auth-proxy/upstream-pool.ts).
 * One state machine; what differs is what a line may look like, and the caller says which:
 *
 * - `strict` (requests: every peer is an adversary, SECURITY.md): a chunk size is 1 to 12 hex
 *   digits (no sign, no `0x`, no whitespace) and every line ends in CRLF. A line two parsers could
 *   read differently is how a request is smuggled past one of them.
 * - lenient (replies: the vendor, reached through the egress proxy, whose reply the sidecar frames
 *   anew for its client, so no second parser reads these bytes): what RFC 9112 lets a recipient
 *   accept besides, whitespace around the size before a chunk extension and a bare LF as a line's
 *   end. A size is still hex digits only.
 *
 * In both, a line is bounded, the line after a chunk's data is empty, and trailers are read,
 * bounded and dropped (never merged into the head: a trailer cannot add a Content-Length or a
 * credential).
 */
const MAX_LINE = 8192;
const MAX_TRAILERS = 16 * 1024;

const STRICT_SIZE = /^([0-9a-fA-F]{1,12})(;.*)?$/;
const LENIENT_SIZE = /^[ \t]*([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/;

/** Decodes one chunked body; trailers are read and dropped. */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailers' | 'done' = 'size';
  private remaining = 0;
  private line: Buffer = Buffer.alloc(0);
  private trailerBytes = 0;

  constructor(private readonly o: { strict: boolean }) {}

  /**
   * Feeds bytes; hands the body bytes in them to `out` in one buffer (one per chunk cost a buffer
   * object per body byte sent as 1-byte chunks). Returns what follows the body once it is done, a
   * reason when the coding is malformed, and null while the body goes on.
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
        if (this.line.length > MAX_LINE) return 'chunk line too long';
        return null;
      }
      const line = Buffer.concat([this.line, b.subarray(0, nl + 1)]).toString('latin1');
      this.line = Buffer.alloc(0);
      b = b.subarray(nl + 1);
      const crlf = line.endsWith('\r\n');
      if (this.o.strict && !crlf) return 'malformed chunked body';
      const text = line.slice(0, crlf ? -2 : -1);
      if (this.state === 'data-crlf') {
        if (text !== '') return 'malformed chunked body';
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = (this.o.strict ? STRICT_SIZE : LENIENT_SIZE).exec(text);
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
