/**
 * Bounded capture of one output stream. A flooding child must not exhaust memory, yet the reader of
 * a failure wants both how it started (the command line, the first error) and how it ended (the
 * summary), so we keep the first bytes and a rolling tail and drop the middle.
 */

const HEAD_MAX = 64 * 1024;

export class StreamCapture {
  private readonly headCap: number;
  private readonly tailCap: number;
  /** Made at the first byte, unfilled: only its first headLen bytes (ours) are ever read. */
  private head: Buffer | undefined;
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private total = 0;

  constructor(readonly maxBytes: number) {
    const cap = Math.max(0, Math.floor(maxBytes));
    this.headCap = Math.min(HEAD_MAX, Math.floor(cap / 2));
    this.tailCap = cap - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLen < this.headCap) {
      // Most supervised children print little or nothing (a git status, a gate's `true`): no
      // zero-filled 64 KiB per stream per start.
      this.head ??= Buffer.allocUnsafe(this.headCap);
      const n = Math.min(this.headCap - this.headLen, rest.length);
      rest.copy(this.head, this.headLen, 0, n);
      this.headLen += n;
      rest = rest.subarray(n);
    }
    if (rest.length === 0 || this.tailCap === 0) return;
    if (rest.length >= this.tailCap) {
      // Copy: the chunk's backing memory belongs to the stream and may be large.
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailCap))];
      this.tailLen = this.tailCap;
      return;
    }
    this.tail.push(rest);
    this.tailLen += rest.length;
    while (this.tailLen > this.tailCap) {
      const first = this.tail[0]!;
      const excess = this.tailLen - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLen -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailLen -= excess;
      }
    }
  }

  get truncated(): boolean {
    return this.total > this.headLen + this.tailLen;
  }

  get totalBytes(): number {
    return this.total;
  }

  /** The captured text, invalid UTF-8 replaced; a marker stands where bytes were dropped. */
  text(): string {
    const head = this.head?.subarray(0, this.headLen) ?? Buffer.alloc(0);
    const tail = Buffer.concat(this.tail, this.tailLen);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    if (!this.truncated) return decoder.decode(Buffer.concat([head, tail]));
    const dropped = this.total - this.headLen - this.tailLen;
    // The cut points are arbitrary bytes: do not let them turn a split character into U+FFFD noise.
    const headText = decoder.decode(head.subarray(0, completePrefixLength(head)));
    const tailText = decoder.decode(tail.subarray(leadingContinuationBytes(tail)));
    return `${headText}\n... <${dropped} bytes truncated> ...\n${tailText}`;
  }
}

/** Length of `buf` without a trailing, incomplete UTF-8 sequence. */
function completePrefixLength(buf: Buffer): number {
  let i = buf.length - 1;
  let back = 0;
  while (i >= 0 && back < 3 && (buf[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return buf.length;
  const lead = buf[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buf.length - i < need ? i : buf.length;
}

function leadingContinuationBytes(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 3 && (buf[i]! & 0xc0) === 0x80) i++;
  return i;
}
