/**
 * The sidecar's listening side: a small HTTP/1.1 server on node:net for the peer CLIs on the pod's
 * loopback. Why not node:http: its JavaScript layer stays resident once it has served a request
 * and kept the sidecar over its memory goal (BENCHMARKS.md, "Memory"); the upstream side is
 * already a small client of its own (upstream-pool.ts) on the same sockets.
 *
 * Strict where framing is ambiguous, since every client is an adversary: a request with both
 * Content-Length and Transfer-Encoding, differing lengths, a coding other than chunked, folded or
 * malformed header lines, or a head over MAX_HEAD is answered 400 (431 for the size) and the
 * connection closed. Requests on one connection are handled one at a time (the socket is paused
 * while a reply is pending), so a pipelined request never runs beside the one before it.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';

const MAX_HEAD = 16 * 1024;
/** How long a client may take to send a request head (node:http's headersTimeout). */
const HEAD_TIMEOUT_MS = 30_000;
/** How long a kept-alive connection may sit idle between requests (node:http's keepAliveTimeout). */
const KEEP_ALIVE_MS = 5_000;
/** Body bytes buffered for a handler that has not read them yet, before the client is paused. */
const BODY_BUFFER = 256 * 1024;

const CRLF = Buffer.from('\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REASONS: Record<number, string> = { 100: 'Continue', 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 529: 'Site is overloaded' };

export type ClientHeaders = Record<string, string | string[]>;

/** One request as the handler reads it: its head, and its body as an async iterable of chunks. */
export class ClientRequest implements AsyncIterable<Buffer> {
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private discarding = false;

  constructor(readonly method: string, readonly url: string, readonly headers: ClientHeaders, private readonly flow: { pause(): void; resume(): void; onRead(): void }) {}

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

type Head = { method: string; url: string; version: string; headers: ClientHeaders; framing: { chunked: true } | { length: number } };

/** Parses a request head; a string is the reason it is refused (400), never a partial guess. */
export function parseRequestHead(text: string): Head | string {
  const lines = text.split('\r\n');
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) (HTTP\/1\.[01])$/.exec(lines[0] ?? '');
  if (!m) return 'malformed request line';
  const headers: ClientHeaders = {};
  const lengths: string[] = [];
  const codings: string[] = [];
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0) return 'malformed header line';
    const name = line.slice(0, c);
    if (!TOKEN.test(name)) return 'malformed header name';
    const value = line.slice(c + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) return 'malformed header value';
    const k = name.toLowerCase();
    if (k === 'content-length') lengths.push(value);
    if (k === 'transfer-encoding') codings.push(...value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
    const prev = headers[k];
    if (prev === undefined) headers[k] = k === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[k] = `${prev}${k === 'cookie' ? '; ' : ', '}${value}`;
  }
  if (codings.length > 0) {
    if (lengths.length > 0) return 'both Content-Length and Transfer-Encoding';
    if (codings.length !== 1 || codings[0] !== 'chunked') return 'unsupported Transfer-Encoding';
    return { method: m[1]!, url: m[2]!, version: m[3]!, headers, framing: { chunked: true } };
  }
  if (lengths.some((l) => !/^\d{1,15}$/.test(l)) || new Set(lengths).size > 1) return 'invalid Content-Length';
  return { method: m[1]!, url: m[2]!, version: m[3]!, headers, framing: { length: lengths.length ? Number(lengths[0]) : 0 } };
}

/** Decodes a chunked request body; trailers are read and dropped. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailers' | 'done' = 'size';
  private remaining = 0;
  private line: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the body bytes in them and what follows the body (once done). */
  feed(b: Buffer, out: (c: Buffer) => void): Buffer | string | null {
    while (b.length > 0) {
      if (this.state === 'data') {
        const take = b.subarray(0, this.remaining);
        out(take);
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
      }
    }
    return null;
  }
}

/** An HTTP/1.1 server calling `handler` once per request; `close` ends every connection. */
export class ClientHttpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(handler: (req: ClientRequest, res: ClientResponse) => void) {
    this.server = net.createServer((sock) => this.serve(sock, handler));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(sock: net.Socket, handler: (req: ClientRequest, res: ClientResponse) => void): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let req: ClientRequest | null = null;
    let res: ClientResponse | null = null;
    let bodyLeft = 0;
    let chunked: ChunkedDecoder | null = null;
    let continueAsked = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const idle = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => sock.destroy(), ms);
    };
    const refuse = (status: number, why: string) => {
      sock.end(`HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${why.length}\r\nconnection: close\r\n\r\n${why}`, 'latin1');
      sock.pause();
      buf = Buffer.alloc(0);
    };
    const bodyDone = (rest: Buffer) => {
      if (timer) clearTimeout(timer);
      timer = null;
      req!.end();
      req = null;
      buf = rest;
      // The next request waits until this reply is complete: one request at a time per connection.
      sock.pause();
    };
    const feedBody = (b: Buffer) => {
      // A body that stalls is dropped like a head that does (a slot under maxConcurrent is at stake).
      idle(HEAD_TIMEOUT_MS);
      if (chunked) {
        const r = chunked.feed(b, (c) => req!.push(c));
        if (typeof r === 'string') {
          req!.fail(new Error(r));
          return refuse(400, r);
        }
        if (r) bodyDone(r);
        return;
      }
      const take = b.subarray(0, bodyLeft);
      bodyLeft -= take.length;
      if (take.length) req!.push(take);
      if (bodyLeft === 0) bodyDone(b.subarray(take.length));
    };
    const next = () => {
      if (res || req) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) refuse(431, 'request head too large');
        else if (buf.length > 0) idle(HEAD_TIMEOUT_MS);
        return;
      }
      if (end > MAX_HEAD) return refuse(431, 'request head too large');
      const head = parseRequestHead(buf.subarray(0, end).toString('latin1'));
      const rest = buf.subarray(end + 4);
      buf = Buffer.alloc(0);
      if (typeof head === 'string') return refuse(400, head);
      if (timer) clearTimeout(timer);
      timer = null;
      const conn = String(head.headers.connection ?? '').toLowerCase();
      const keepAlive = head.version === 'HTTP/1.1' ? !/\bclose\b/.test(conn) : /\bkeep-alive\b/.test(conn);
      continueAsked = head.version === 'HTTP/1.1' && String(head.headers.expect ?? '').toLowerCase() === '100-continue';
      chunked = 'chunked' in head.framing ? new ChunkedDecoder() : null;
      bodyLeft = 'length' in head.framing ? head.framing.length : 0;
      const flow = {
        pause: () => sock.pause(),
        resume: () => sock.resume(),
        // The client waits for this before it sends a body it announced with Expect: 100-continue.
        onRead: () => {
          if (!continueAsked) return;
          continueAsked = false;
          sock.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
        },
      };
      req = new ClientRequest(head.method, head.url, head.headers, flow);
      const current = req;
      res = new ClientResponse(sock, head.method === 'HEAD', keepAlive, (reuse) => {
        res = null;
        if (req === current) {
          // Replied before the whole body arrived (a refusal): the rest is read and dropped, then the connection closes.
          current.resume();
          reuse = false;
        }
        if (!reuse) return void sock.end();
        idle(KEEP_ALIVE_MS);
        sock.resume();
        next();
      });
      if (!chunked && bodyLeft === 0) bodyDone(rest);
      else if (rest.length) feedBody(rest);
      handler(current, res);
    };
    sock.on('data', (d: Buffer) => {
      if (req) return feedBody(d);
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      next();
    });
    sock.on('drain', () => res?.emit('drain'));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.sockets.delete(sock);
      if (timer) clearTimeout(timer);
      req?.fail(new Error('the client closed the connection'));
      res?.lost();
    });
    idle(HEAD_TIMEOUT_MS);
  }
}
