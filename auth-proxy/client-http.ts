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
 * Deadlines and a connection cap bound what one client can hold (ClientLimits). A head is parsed
 * by request-head.ts, a request and its reply are client-request.ts and client-response.ts.
 */
import net from 'node:net';
import { ChunkedDecoder } from './chunked-decoder.ts';
import { ClientRequest } from './client-request.ts';
import { ClientResponse, REASONS } from './client-response.ts';
import { parseRequestHead } from './request-head.ts';

const MAX_HEAD = 16 * 1024;
/**
 * Deadlines and the connection cap. Each deadline runs from its start and no byte restarts it: a
 * client sending one byte at a time held a connection (and, mid-body, a slot under maxConcurrent)
 * for as long as it liked.
 */
export type ClientLimits = {
  /** A request head, from its first byte (node:http's headersTimeout); also a silent new connection and a body that stalls this long. */
  headTimeoutMs: number;
  /** A whole request, head and body, from the head's first byte (node:http's requestTimeout). */
  requestTimeoutMs: number;
  /** A kept-alive connection idle between requests (node:http's keepAliveTimeout). */
  keepAliveMs: number;
  /** A connection the server has ended, still read (and discarded) so its client gets the reply, then destroyed. */
  lingerMs: number;
  /**
   * Connections open at once over every port of the sidecar (the `open` count its servers share);
   * one more is answered 503 and closed. Each holds up to a 16 KiB head (about 22 KB of the
   * sidecar's memory), and there was no bound: 3000 connections took the sidecar from 33 to 99 MB.
   * Per port, a sidecar with many ports could be held past its container's 4096 descriptors.
   */
  maxConnections: number;
};
const DEFAULT_CLIENT_LIMITS: ClientLimits = { headTimeoutMs: 30_000, requestTimeoutMs: 300_000, keepAliveMs: 5_000, lingerMs: 5_000, maxConnections: 512 };

/** An HTTP/1.1 server calling `handler` once per request; `close` ends every connection. */
export class ClientHttpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private readonly limits: ClientLimits;

  /** `open`: the connections open at once, shared by every server of one sidecar (the cap is the sidecar's). */
  constructor(handler: (req: ClientRequest, res: ClientResponse) => void, limits: Partial<ClientLimits> = {}, private readonly open: { count: number } = { count: 0 }) {
    this.limits = { ...DEFAULT_CLIENT_LIMITS, ...limits };
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
    const t = this.limits;
    sock.on('error', () => {});
    if (this.open.count >= t.maxConnections) {
      const why = 'too many connections to the auth sidecar';
      return void sock.end(`HTTP/1.1 503 ${REASONS[503]}\r\ncontent-type: text/plain\r\ncontent-length: ${why.length}\r\nconnection: close\r\n\r\n${why}`, 'latin1', () => sock.destroy());
    }
    this.sockets.add(sock);
    this.open.count++;
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let req: ClientRequest | null = null;
    let res: ClientResponse | null = null;
    let bodyLeft = 0;
    let chunked: ChunkedDecoder | null = null;
    let continueAsked = false;
    /** When the request being read must be complete; its head's when no head has been parsed yet. */
    let requestBy = 0;
    let headBy = 0;
    let closing = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const deadline = (ms: number) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => sock.destroy(), Math.max(ms, 0));
    };
    /**
     * Ends the connection: the client still gets what was written, anything more it sends is read
     * and dropped (never parsed), and the connection is destroyed after lingerMs whatever the
     * client does (a client that kept its side open held it for ever).
     */
    const close = (last?: string) => {
      if (closing) return;
      closing = true;
      buf = Buffer.alloc(0);
      if (last === undefined) sock.end();
      else sock.end(last, 'latin1');
      sock.resume();
      deadline(t.lingerMs);
    };
    const refuse = (status: number, why: string) => {
      req?.fail(new Error(why));
      close(`HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${why.length}\r\nconnection: close\r\n\r\n${why}`);
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
      // A body that stalls is dropped like a head that does (a slot under maxConcurrent is at stake),
      // and a whole request is dropped at its deadline however steadily it trickles.
      deadline(Math.min(t.headTimeoutMs, requestBy - Date.now()));
      if (chunked) {
        const r = chunked.feed(b, (c) => req!.push(c));
        if (typeof r === 'string') return refuse(400, r);
        if (r) bodyDone(r);
        return;
      }
      const take = b.subarray(0, bodyLeft);
      bodyLeft -= take.length;
      if (take.length) req!.push(take);
      if (bodyLeft === 0) bodyDone(b.subarray(take.length));
    };
    const next = () => {
      if (res || req || closing) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > MAX_HEAD) refuse(431, 'request head too large');
        else if (buf.length > 0 && headBy === 0) {
          // The head's deadline runs from its first byte; later bytes do not restart it.
          headBy = Date.now() + t.headTimeoutMs;
          requestBy = Date.now() + t.requestTimeoutMs;
          deadline(t.headTimeoutMs);
        }
        return;
      }
      if (end > MAX_HEAD) return refuse(431, 'request head too large');
      const head = parseRequestHead(buf.subarray(0, end).toString('latin1'));
      const rest = buf.subarray(end + 4);
      buf = Buffer.alloc(0);
      if (typeof head === 'string') return refuse(400, head);
      if (timer) clearTimeout(timer);
      timer = null;
      if (headBy === 0) requestBy = Date.now() + t.requestTimeoutMs;
      headBy = 0;
      const conn = String(head.headers.connection ?? '').toLowerCase();
      const keepAlive = head.version === 'HTTP/1.1' ? !/\bclose\b/.test(conn) : /\bkeep-alive\b/.test(conn);
      continueAsked = head.version === 'HTTP/1.1' && String(head.headers.expect ?? '').toLowerCase() === '100-continue';
      // Strict: the peer's bytes are an adversary's (chunked-decoder.ts).
      chunked = 'chunked' in head.framing ? new ChunkedDecoder({ strict: true }) : null;
      bodyLeft = 'length' in head.framing ? head.framing.length : 0;
      let current: ClientRequest | null = null;
      const flow = {
        pause: () => sock.pause(),
        // Only while this request's body is being read: once it is done, the bytes behind it wait for its reply.
        resume: () => {
          if (req === current && !closing) sock.resume();
        },
        // The client waits for this before it sends a body it announced with Expect: 100-continue.
        onRead: () => {
          if (!continueAsked || closing) return;
          continueAsked = false;
          sock.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
        },
      };
      req = current = new ClientRequest(head.method, head.url, head.headers, flow, 'length' in head.framing ? head.framing.length : null);
      const request = current;
      res = new ClientResponse(sock, head.method === 'HEAD', keepAlive, (reuse) => {
        res = null;
        if (req === request) {
          // Replied before the whole body arrived (a refusal): the rest is read and dropped, then the connection closes.
          request.resume();
          req = null;
          reuse = false;
        }
        if (closing) return;
        if (!reuse) return close();
        deadline(t.keepAliveMs);
        sock.resume();
        next();
      });
      if (!chunked && bodyLeft === 0) bodyDone(rest);
      else {
        deadline(Math.min(t.headTimeoutMs, requestBy - Date.now()));
        if (rest.length) feedBody(rest);
      }
      handler(request, res);
    };
    sock.on('data', (d: Buffer) => {
      if (closing) return;
      if (req) return feedBody(d);
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      next();
      // Bytes pipelined behind a pending reply: one head's worth is kept, then the client waits.
      if (res && buf.length > MAX_HEAD) sock.pause();
    });
    sock.on('drain', () => res?.emit('drain'));
    sock.on('close', () => {
      if (this.sockets.delete(sock)) this.open.count--;
      if (timer) clearTimeout(timer);
      req?.fail(new Error('the client closed the connection'));
      res?.lost();
    });
    // A connection that sends nothing is dropped like a head that stalls.
    deadline(t.headTimeoutMs);
  }
}
