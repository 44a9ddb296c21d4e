/**
 * The credential sidecar for one upstream: a reverse proxy on a loopback port that forwards only
 * to its fixed origin, through the egress proxy, with the client's credentials removed and the
 * real one injected. Replies stream through chunk by chunk (the first SSE byte is written to the
 * client the moment it arrives); a copy of each chunk feeds the usage meter, which appends one
 * ledger line per metered reply. When the run's budget is spent, requests are refused here.
 */
import http from 'node:http';
import type net from 'node:net';
import { type BudgetCaps, budgetExhausted, budgetRefusal } from './usage/budget.ts';
import { clientResponseHeaders, redact, upstreamHeaders } from './credential-headers.ts';
import type { CredentialSource, Injection } from './credential-source.ts';
import type { ConnectOptions } from './egress-connector.ts';
import { type PoolResponse, UpstreamPool } from './upstream-pool.ts';
import { type ParsedOrigin, parseOrigin, type UpstreamSpec } from './upstreams.ts';
import { SseParser } from './usage/sse-parser.ts';
import { UsageAccumulator } from './usage/usage-extract.ts';
import type { UsageLedger } from './usage/usage-ledger.ts';
import { usdFor } from './usage/price-table.ts';

export type AuthLimits = { maxRequestBytes: number; maxMeteredJsonBytes: number; maxConcurrent: number; upstreamIdleMs: number };
export const DEFAULT_AUTH_LIMITS: AuthLimits = { maxRequestBytes: 32 * 1024 * 1024, maxMeteredJsonBytes: 32 * 1024 * 1024, maxConcurrent: 64, upstreamIdleMs: 600_000 };

export type AuthServerOptions = {
  upstream: UpstreamSpec;
  /** Overrides `upstream.origin` (tests point it at a local server). */
  origin?: string;
  credentials: CredentialSource;
  egress: ConnectOptions;
  ledger: UsageLedger | null;
  caps: () => BudgetCaps;
  limits?: Partial<AuthLimits>;
  log?: (line: string) => void;
};

class ClientError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class AuthServer {
  private readonly server: http.Server;
  private readonly target: ParsedOrigin;
  private readonly limits: AuthLimits;
  private active = 0;
  private readonly known = new Set<string>();
  private readonly pool: UpstreamPool;

  constructor(private readonly opts: AuthServerOptions) {
    this.target = parseOrigin(opts.origin ?? opts.upstream.origin);
    this.limits = { ...DEFAULT_AUTH_LIMITS, ...opts.limits };
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.headersTimeout = 30_000;
    this.pool = new UpstreamPool(this.target, opts.egress, { readTimeoutMs: this.limits.upstreamIdleMs });
  }

  /** Tunnels opened to the upstream so far (connections are kept alive and reused). */
  get upstreamConnections(): number {
    return this.pool.opened;
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.pool.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private log(line: string): void {
    this.opts.log?.(redact(line, [...this.known]));
  }

  private fail(res: http.ServerResponse, status: number, message: string): void {
    const clean = redact(message, [...this.known]);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = this.opts.upstream.errorShape === 'anthropic'
      ? JSON.stringify({ type: 'error', error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', message: clean } })
      : JSON.stringify({ error: { message: clean, type: 'peers_sidecar_error', param: null, code: null } });
    res.writeHead(status, { 'content-type': 'application/json', 'x-peers-sidecar': 'error' });
    res.end(body);
  }

  private async readBody(req: http.IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.limits.maxRequestBytes) throw new ClientError(413, `request body exceeds ${this.limits.maxRequestBytes} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > this.limits.maxRequestBytes) throw new ClientError(413, `request body exceeds ${this.limits.maxRequestBytes} bytes`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private send(req: http.IncomingMessage, body: Buffer, inj: Injection): Promise<PoolResponse> {
    for (const s of inj.secrets) this.known.add(s);
    const hostHeader = this.target.port === (this.target.tls ? 443 : 80) ? this.target.host : `${this.target.host}:${this.target.port}`;
    return this.pool.request({ method: req.method ?? 'GET', path: `${this.opts.upstream.pathPrefix}${req.url}`, headers: upstreamHeaders(req.headers, inj.headers, hostHeader), body });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const what = `${this.opts.upstream.id} ${req.method} ${(req.url ?? '').split('?')[0]}`;
    if (this.active >= this.limits.maxConcurrent) return this.fail(res, 503, `auth sidecar busy: ${this.limits.maxConcurrent} requests in flight`);
    this.active++;
    res.on('close', () => this.active--);
    try {
      if (!req.url?.startsWith('/') || req.url.startsWith('//')) throw new ClientError(400, 'the sidecar accepts origin-form request paths only');
      const exhausted = this.opts.ledger ? budgetExhausted(this.opts.caps(), this.opts.ledger.totals) : null;
      if (exhausted) {
        const refusal = budgetRefusal(this.opts.upstream.errorShape, exhausted);
        this.log(`${what} ${refusal.status} budget refused`);
        res.writeHead(refusal.status, { 'content-type': 'application/json', 'x-peers-budget': 'exhausted' });
        res.end(refusal.body);
        return;
      }
      const body = await this.readBody(req);
      let inj = await this.opts.credentials.current();
      let up = await this.send(req, body, inj);
      if (up.status === 401 && this.opts.credentials.kind === 'oauth-file') {
        up.body.resume();
        if (await this.opts.credentials.onUnauthorized(inj)) {
          inj = await this.opts.credentials.current();
          up = await this.send(req, body, inj);
        }
      }
      this.relay(up, res, what, started);
    } catch (e) {
      const status = e instanceof ClientError ? e.status : 502;
      this.log(`${what} ${status} ${(e as Error).message}`);
      this.fail(res, status, `peers auth sidecar: ${(e as Error).message}`);
    }
  }

  /** Streams the reply to the client unmodified while the meter reads a copy. */
  private relay(up: PoolResponse, res: http.ServerResponse, what: string, started: number): void {
    const status = up.status;
    res.writeHead(status, clientResponseHeaders(up.headers));
    res.flushHeaders();
    const contentType = String(up.headers['content-type'] ?? '');
    const stream = contentType.includes('text/event-stream');
    const acc = new UsageAccumulator();
    const sse = stream ? new SseParser((e) => {
      try {
        acc.observe(JSON.parse(e.data), e.event);
      } catch {}
    }) : null;
    const json: Buffer[] = [];
    let jsonBytes = 0;
    const meterJson = !stream && contentType.includes('json');
    let complete = false;
    up.body.on('data', (c: Buffer) => {
      if (!res.write(c)) up.body.pause();
      if (sse) sse.feed(c);
      else if (meterJson && jsonBytes + c.length <= this.limits.maxMeteredJsonBytes) {
        json.push(c);
        jsonBytes += c.length;
      }
    });
    res.on('drain', () => up.body.resume());
    res.on('close', () => {
      // The client went away mid-reply: drop the upstream connection rather than reuse it.
      if (!complete) up.body.destroy();
    });
    up.body.on('error', () => res.destroy());
    up.body.on('end', () => {
      complete = true;
      res.end();
      if (sse) sse.end();
      else if (meterJson) {
        try {
          acc.observe(JSON.parse(Buffer.concat(json).toString('utf8')));
        } catch {}
      }
      const ms = Math.round(performance.now() - started);
      if (!acc.seen || !this.opts.ledger) {
        this.log(`${what} ${status} ${ms}ms`);
        return;
      }
      const u = acc.usage;
      const { usd, priced } = usdFor(u.model, u);
      const total = u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
      this.opts.ledger.append({ ts: new Date().toISOString(), upstream: this.opts.upstream.id, status, stream, ...u, total_tokens: total, usd, priced });
      this.log(`${what} ${status} ${ms}ms model=${u.model} in=${u.input_tokens} out=${u.output_tokens} usd=${usd}`);
    });
  }
}
