/**
 * The reply to one request to the sidecar (client-http.ts makes it), written on the client's
 * socket: a head with a content length, or a chunked body each chunk of which leaves as soon as it
 * arrived (the first SSE byte is not held back). Its own file because it is the whole of what the
 * sidecar's handler may do to a client (auth-server.ts), with the parts of node:http's
 * ServerResponse it uses and nothing else of node:http (BENCHMARKS.md, "Memory").
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { TOKEN } from './request-head.ts';

const CRLF = Buffer.from('\r\n', 'latin1');
/** The reason phrases of the statuses the sidecar answers with (the server's own refusals too: client-http.ts). */
export const REASONS: Record<number, string> = { 100: 'Continue', 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 529: 'Site is overloaded' };

/**
 * The reply to one request, with the parts of node:http's ServerResponse the sidecar uses:
 * `close` fires once, when the reply has been sent or the client has gone (`writableFinished` tells which).
 */
export class ClientResponse extends EventEmitter {
  headersSent = false;
  writableFinished = false;
  private head: string | null = null;
  private chunked = false;
  private closed = false;

  constructor(private readonly sock: net.Socket, private bodyless: boolean, private readonly keepAlive: boolean, private readonly done: (reuse: boolean) => void) {
    super();
  }

  writeHead(status: number, headers: Record<string, string | string[]>): void {
    if (status === 204 || status === 304) this.bodyless = true;
    const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? ''}`];
    const names = new Set<string>();
    for (const [k, v] of Object.entries(headers)) {
      // A name that is not a token would break the client's parse of the whole reply: dropped.
      if (!TOKEN.test(k)) continue;
      names.add(k.toLowerCase());
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one).replace(/[\r\n]/g, ' ')}`);
    }
    if (!names.has('date')) lines.push(`date: ${new Date().toUTCString()}`);
    lines.push(`connection: ${this.keepAlive ? 'keep-alive' : 'close'}`);
    this.head = lines.join('\r\n');
    this.headersSent = true;
  }

  /** Sends the head now, with a chunked body to follow. */
  flushHeaders(): void {
    if (this.head === null) return;
    this.chunked = !this.bodyless;
    this.sock.write(`${this.head}\r\n${this.chunked ? 'transfer-encoding: chunked\r\n' : ''}\r\n`, 'latin1');
    this.head = null;
  }

  write(chunk: Buffer): boolean {
    this.flushHeaders();
    if (this.closed || this.bodyless || chunk.length === 0) return true;
    // One write per chunk: each SSE event leaves in one segment, as soon as it arrived.
    return this.sock.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]));
  }

  end(body?: string): void {
    if (this.closed) return;
    if (this.head !== null) {
      const bytes = Buffer.from(body ?? '', 'utf8');
      this.sock.write(`${this.head}\r\ncontent-length: ${bytes.length}\r\n\r\n`, 'latin1');
      if (!this.bodyless) this.sock.write(bytes);
      this.head = null;
    } else {
      if (body) this.write(Buffer.from(body, 'utf8'));
      if (this.chunked) this.sock.write('0\r\n\r\n', 'latin1');
    }
    this.writableFinished = true;
    this.finish(this.keepAlive);
  }

  /** Drops the connection: a reply that cannot be completed must not look complete. */
  destroy(): void {
    this.sock.destroy();
    this.finish(false);
  }

  /** The connection closed (by the client, or by destroy). */
  lost(): void {
    this.finish(false);
  }

  private finish(reuse: boolean): void {
    if (this.closed) return;
    this.closed = true;
    // Emitted on the next tick, as node:http does: what the caller does right after end() or
    // destroy() (the ledger line of a reply cut short by the upstream) happens before 'close'.
    process.nextTick(() => {
      this.emit('close');
      this.done(reuse && this.writableFinished);
    });
  }
}
