/**
 * An incremental Server-Sent Events parser that only observes: the sidecar forwards every chunk
 * to the client first and feeds a copy here, so metering never delays a byte.
 */
export type SseEvent = { event: string; data: string };

export class SseParser {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private event = '';
  private data: string[] = [];
  private dataBytes = 0;

  /** Events larger than this are dropped (their usage cannot be read) instead of growing memory. */
  constructor(private readonly onEvent: (e: SseEvent) => void, private readonly maxEventBytes = 16 * 1024 * 1024) {}

  feed(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = this.pending.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.pending.slice(0, nl);
      const sepLen = this.pending.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (this.pending[nl] === '\r' && nl === this.pending.length - 1) break;
      this.pending = this.pending.slice(nl + sepLen);
      this.line(line);
    }
    if (this.pending.length > this.maxEventBytes) this.pending = '';
  }

  end(): void {
    this.pending += this.decoder.decode();
    if (this.pending) this.line(this.pending);
    this.pending = '';
    this.line('');
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      this.dataBytes = 0;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') {
      this.dataBytes += value.length;
      if (this.dataBytes <= this.maxEventBytes) this.data.push(value);
    }
  }
}
