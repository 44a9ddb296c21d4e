/**
 * One request as the sidecar's handler reads it (client-http.ts makes it): its head, and its body
 * as an async iterable of chunks. Its own file because it is where a client's body is held back:
 * no more than BODY_BUFFER of it waits in the sidecar for a handler that has not read it, and past
 * that the client's socket is paused.
 */
import type { ClientHeaders } from './request-head.ts';

/** Body bytes buffered for a handler that has not read them yet, before the client is paused. */
const BODY_BUFFER = 256 * 1024;

/** One request as the handler reads it: its head, and its body as an async iterable of chunks. */
export class ClientRequest implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private discarding = false;

  /**
   * `contentLength`: the body's length as the framing was read (request-head.ts), null for a
   * chunked body. Not the header's text: a length given twice is joined there ("5, 5").
   */
  constructor(readonly method: string, readonly url: string, readonly headers: ClientHeaders, private readonly flow: { pause(): void; resume(): void; onRead(): void }, readonly contentLength: number | null = null) {}

  /** Discards the body (the handler will not read it). */
  resume(): void {
    this.discarding = true;
    this.queue = [];
    this.queued = 0;
    this.flow.resume();
  }

  push(chunk: Buffer): void {
    if (this.discarding) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued > BODY_BUFFER) this.flow.pause();
    this.wakeReader();
  }

  end(): void {
    this.ended = true;
    this.wakeReader();
  }

  fail(e: Error): void {
    this.failure = e;
    this.wakeReader();
  }

  private wakeReader(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.flow.onRead();
    for (;;) {
      if (this.failure) throw this.failure;
      const next = this.queue.shift();
      if (next) {
        this.queued -= next.length;
        if (this.queued <= BODY_BUFFER) this.flow.resume();
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}
