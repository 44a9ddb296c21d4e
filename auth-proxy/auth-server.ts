/**
 * The credential sidecar for one upstream: a reverse proxy on a loopback port that forwards only
 * the API paths the peer CLIs need (api-routes.ts) to its fixed origin, through the egress proxy,
 * with the client's credentials removed and the real one injected. Replies stream through chunk
 * by chunk (the first SSE byte is written to the client the moment it arrives); a copy of each
 * chunk feeds the reply meter, which appends one ledger line per billable reply however it ends
 * (reply-relay.ts). Its options and limits are auth-server-options.ts.
 * A billable request goes out only if the budget left covers the most it could cost (a
 * reservation, settled by its ledger line).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { matchRoute } from './api-routes.ts';
import { type AuthLimits, type AuthServerOptions, DEFAULT_AUTH_LIMITS } from './auth-server-options.ts';
import { BodyBytes } from './body-budget.ts';
import { UnbilledThrottle } from './unbilled-throttle.ts';
import { ClientHttpServer } from './client-http.ts';
import type { ClientRequest } from './client-request.ts';
import type { ClientResponse } from './client-response.ts';
import { redact, upstreamHeaders } from './credential-headers.ts';
import { CredentialRefused, type Injection } from './credential-source.ts';
import { type Exchange, ReplyRelay } from './reply-relay.ts';
import { VendorUnreachable } from './egress-connector.ts';
import { VENDOR_UNREACHABLE } from '../src/peer-output/vendor-unreachable-code.ts';
import { type PoolResponse, UnansweredRequest, UpstreamPool } from './upstream-pool.ts';
import { type ParsedOrigin, parseOrigin } from './upstreams.ts';
import { budgetRefusal, costFactor, Reservations } from './usage/budget.ts';
import { FirstRequestGate } from './usage/first-request-gate.ts';
import type { UserPrices, Vendor } from './usage/price-table.ts';
import { screenRequestBody } from './usage/request-body-screen.ts';
import { billsByProject, ProjectTier } from './usage/project-tier.ts';
import { asksLongContext, type RequestFacts, requestFactsOf, unpricedReason, worstCase } from './usage/request-cost.ts';
import { unboundedUnderCap } from './usage/request-screen.ts';
import { withRoutedOutputCap } from './usage/routed-output-cap.ts';
import { servedKey } from './usage/usage-ledger.ts';

class ClientError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class AuthServer {
  private readonly server: ClientHttpServer;
  private readonly target: ParsedOrigin;
  private readonly limits: AuthLimits;
  private readonly slots: { active: number };
  private readonly bodyBytes: BodyBytes;
  private readonly unbilled: UnbilledThrottle;
  private readonly firstRequests = new FirstRequestGate();
  private readonly known = new Set<string>();
  private readonly pool: UpstreamPool;
  private readonly reservations: Reservations;
  private readonly vendor: Vendor;
  private readonly prices: UserPrices;
  private readonly replies: ReplyRelay;
  private readonly projectTier: ProjectTier;

  constructor(private readonly opts: AuthServerOptions) {
    this.target = parseOrigin(opts.origin ?? opts.upstream.origin);
    this.limits = { ...DEFAULT_AUTH_LIMITS, ...opts.limits };
    this.reservations = opts.reservations ?? new Reservations();
    this.slots = opts.slots ?? { active: 0 };
    this.bodyBytes = opts.bodyBytes ?? new BodyBytes(this.limits.maxBufferedBodyBytes);
    this.unbilled = opts.unbilled ?? new UnbilledThrottle(this.limits.unbilledBurst, this.limits.unbilledPerSecond);
    this.vendor = opts.upstream.errorShape;
    this.prices = opts.prices ?? {};
    this.projectTier = new ProjectTier(billsByProject(opts.upstream), opts.ledger?.projectTiers.get(opts.upstream.id));
    this.replies = new ReplyRelay({ upstreamId: opts.upstream.id, firstParty: opts.upstream.routed !== true, vendor: this.vendor, prices: this.prices, ledger: opts.ledger, maxMeteredJsonBytes: this.limits.maxMeteredJsonBytes, unbilled: this.unbilled, secrets: () => [...this.known], log: (line) => this.log(line), projectTier: this.projectTier });
    this.server = new ClientHttpServer((req, res) => {
      // The body's bytes go back to the shared budget once the request is sent or refused: the relay holds none of it.
      const held = { bytes: 0 };
      void this.handle(req, res, held).finally(() => this.bodyBytes.give(held.bytes));
    }, opts.clientLimits, opts.connections);
    const { host, port } = this.target;
    const dial = opts.direct ? () => dialDirect(host, port) : opts.egress;
    this.pool = new UpstreamPool(this.target, dial, { readTimeoutMs: this.limits.upstreamIdleMs, staleRaceMs: this.limits.staleRaceMs });
  }

  /** Tunnels opened to the upstream so far (connections are kept alive and reused). */
  get upstreamConnections(): number {
    return this.pool.opened;
  }

  async listen(host: string, port: number): Promise<number> {
    return this.server.listen(port, host);
  }

  async close(): Promise<void> {
    this.pool.close();
    await this.server.close();
  }

  private log(line: string): void {
    this.opts.log?.(redact(line, [...this.known]));
  }

  private reply(res: ClientResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }

  private fail(res: ClientResponse, status: number, message: string, code: string | null = null): void {
    const clean = redact(message, [...this.known]);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = this.vendor === 'anthropic'
      ? JSON.stringify({ type: 'error', error: { type: status === 403 ? 'permission_error' : status === 401 ? 'authentication_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message: clean } })
      : JSON.stringify({ error: { message: clean, type: 'peers_sidecar_error', param: null, code: code ?? (status === 403 ? 'peers_path_not_allowed' : null) } });
    this.reply(res, status, body, { 'x-peers-sidecar': code === VENDOR_UNREACHABLE ? 'vendor-unreachable' : 'error' });
  }

  /**
   * Reads the whole body, its bytes taken from the sidecar's body budget first (all of a declared
   * length before any is read, a chunked body's as it comes) and added to `held`, which the caller
   * gives back when the body is no longer held.
   */
  private async readBody(req: ClientRequest, held: { bytes: number }): Promise<Buffer> {
    // The length the framing was read with: the header's text joins a length given twice ("5, 5"), which Number() reads as NaN.
    const declared = req.contentLength ?? 0;
    if (declared > this.limits.maxRequestBytes) throw new ClientError(413, `request body exceeds ${this.limits.maxRequestBytes} bytes`);
    this.holdBodyBytes(held, declared);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > this.limits.maxRequestBytes) throw new ClientError(413, `request body exceeds ${this.limits.maxRequestBytes} bytes`);
      if (size > held.bytes) this.holdBodyBytes(held, size - held.bytes);
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  private holdBodyBytes(held: { bytes: number }, n: number): void {
    if (!this.bodyBytes.tryTake(n)) throw new ClientError(503, `auth sidecar busy: the request bodies it holds would pass ${this.bodyBytes.limit} bytes; retry shortly`);
    held.bytes += n;
  }

  /** `reencoded`: the body is the sidecar's own JSON (routed-output-cap.ts), not in the client's Content-Encoding. */
  private send(req: ClientRequest, path: string, body: Buffer, inj: Injection, reencoded: boolean): Promise<PoolResponse> {
    for (const s of inj.secrets) this.known.add(s);
    const hostHeader = this.target.port === (this.target.tls ? 443 : 80) ? this.target.host : `${this.target.host}:${this.target.port}`;
    const headers = upstreamHeaders(req.headers, inj.headers, hostHeader, this.opts.upstream.routed === true);
    if (reencoded) delete headers['content-encoding'];
    return this.pool.request({ method: req.method ?? 'GET', path: `${this.opts.upstream.pathPrefix}${path}`, headers, body });
  }

  private async handle(req: ClientRequest, res: ClientResponse, held: { bytes: number }): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '';
    const what = `${this.opts.upstream.id} ${method} ${url.split('?')[0]}`;
    if (this.slots.active >= this.limits.maxConcurrent) return this.fail(res, 503, `auth sidecar busy: ${this.limits.maxConcurrent} requests in flight`);
    // The slot is held until both the client's reply has closed and the upstream exchange has
    // ended: a client that hangs up does not end what the vendor is doing for it, so freeing the
    // slot then let a peer run more requests at the vendor than the limit (SECURITY.md, "Limits").
    this.slots.active++;
    let holds = 1;
    let freed = false;
    const drop = () => {
      if (--holds > 0 || freed) return;
      freed = true;
      this.slots.active--;
    };
    let upstreamDone = () => {};
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
      drop();
    });
    let release = () => {};
    let probeDone: () => void = noop;
    let reservation: string | undefined;
    /** How many times the table's price the request was reserved at (budget.ts, costFactor); a reply cut short is counted at it too. */
    let margin = 1;
    let exchange: Exchange | null = null;
    try {
      if (!url.startsWith('/') || url.startsWith('//')) throw new ClientError(400, 'the sidecar accepts origin-form request paths only');
      const match = matchRoute(this.opts.upstream.routes, method, url);
      if (!match) {
        const reason = 'not an API path the peer CLIs need';
        this.opts.audit?.record({ upstream: this.opts.upstream.id, method, path: url, decision: 'denied', status: 403, reason });
        this.log(`${what} 403 denied: ${reason}`);
        req.resume();
        return this.fail(res, 403, `peers auth sidecar: ${method} ${url.split('?')[0]} is not forwarded (${reason}; see auth-proxy/api-routes.ts)`);
      }
      const body = await this.readBody(req, held);
      /** What goes to the vendor: the client's bytes, or the body with an output cap added (routed-output-cap.ts). */
      let forward = { body, reencoded: false };
      let facts: RequestFacts | null = null;
      let measured = body.length;
      const ledger = this.opts.ledger;
      const billable = match.route.kind === 'billable' && ledger !== null;
      // Fail closed: what cannot be recorded is not spent.
      if (billable && ledger.broken) throw new ClientError(503, `the usage ledger cannot be written (${ledger.broken.message}); no billable request is forwarded until the sidecar is restarted with a writable ledger`);
      // Every body is read before it goes out, a free route's too (count_tokens fetches a document
      // by URL to count it): what the vendor reaches for a peer is judged on every route.
      const screened = billable || body.length > 0 ? screenRequestBody(body, req.headers['content-encoding'], this.vendor, this.limits.maxRequestBytes, req.headers['content-type']) : null;
      if (screened && !screened.ok) {
        if ('status' in screened) throw new ClientError(screened.status, screened.reason);
        return this.refuseUnreadable(res, what, screened.code, screened.message);
      }
      // A compressed body is held decoded too (its parsed document, until it is reserved): 860 bytes of zstd decode to 8 MiB.
      if (screened && screened.bytes > body.length) this.holdBodyBytes(held, screened.bytes);
      if (billable && screened) {
        const { off } = screened;
        let { doc } = screened;
        measured = screened.bytes;
        const caps = this.opts.caps();
        const capped = caps.maxUsd !== undefined || caps.maxTokens !== undefined;
        // A router serves models that write more than a capless request is reserved at: under a cap, none goes out capless.
        if (capped && this.opts.upstream.routed === true) {
          if (match.route.uncappedOutput) return this.refuseUnreadable(res, what, 'peers_output_unbounded', 'peers: through a provider, a compaction request (POST /responses/compact) reads no output cap and the model writing its summary may write more than the budget can reserve, so the run\'s budget could be passed; the request was not sent. Compact with an ordinary request, or run without a budget cap.');
          const withCap = withRoutedOutputCap(doc, this.vendor);
          if (withCap) {
            doc = withCap;
            forward = { body: Buffer.from(JSON.stringify(withCap)), reencoded: true };
            this.holdBodyBytes(held, forward.body.length);
            measured = forward.body.length;
          }
        }
        facts = requestFactsOf(doc, measured, this.vendor, this.opts.upstream.routed === true, match.route.uncappedOutput === true);
        // The 1M context window is asked for in a header, and billed at its premium rates past 200k prompt tokens (price-table.ts).
        if (this.vendor === 'anthropic' && asksLongContext(req.headers['anthropic-beta'])) facts = { ...facts, longContext: true };
        if (facts.background) {
          // What a background response bills arrives later, fetched by id: never through the meter (SECURITY.md, "Nothing unmetered").
          const { status, body: refusal } = budgetRefusal(this.vendor, 'peers: background responses are not forwarded: what they bill never passes the usage meter; send the request without "background".', 'peers_background_not_forwarded');
          this.log(`${what} ${status} refused: background response`);
          return this.reply(res, status, refusal, { 'x-peers-budget': 'background-not-forwarded' });
        }
        const unbounded = capped ? unboundedUnderCap(doc, this.vendor, off, facts.imageUnreadable ?? null) : null;
        // Not a spent budget either (no `refused` line): a request no reservation can bound.
        if (unbounded && !unbounded.ok) return this.refuseUnreadable(res, what, unbounded.code, unbounded.message);
        const unpriced = caps.maxUsd !== undefined ? unpricedReason(facts, this.vendor, this.prices) : null;
        if (unpriced) {
          // Not a spent budget (no `refused` line: the loop would stop the run as budget:max_usd), a model to price.
          const { status, body: refusal } = budgetRefusal(this.vendor, unpriced, 'peers_model_not_priced');
          this.log(`${what} ${status} refused: model ${JSON.stringify(facts.model.slice(0, 200))} has no price and a USD cap applies`);
          return this.reply(res, status, refusal, { 'x-peers-budget': 'model-not-priced' });
        }
        // Requests that bill nothing still write two ledger lines each: a flood of them waits (unbilled-throttle.ts).
        if (!this.unbilled.open) return this.throttle(res, what);
        // A router's first request for a model goes out alone: what it charges is seen before more are admitted.
        if (this.opts.upstream.routed) {
          const models = [facts.model, ...(facts.models ?? [])];
          // Routing preferences pick the provider, and so the price: a model with new ones is a first request too.
          // So does its output cap: a larger one may go to a provider a smaller one never reached (served-sizes.ts).
          probeDone = (await this.firstRequests.enter(() => !models.every((m) => ledger.servedModels.has(servedKey(this.opts.upstream.id, m, facts!.routing), facts!.maxOutputTokens)))) ?? noop;
          if (clientGone) return probeDone();
        }
        // A request leaving its tier to the project is reserved at the tier the project last billed (project-tier.ts).
        const need = worstCase({ ...facts, serviceTier: this.projectTier.forReservation(facts) }, this.vendor, this.prices);
        // A router may bill above the table, and says so only when the reply is done: reserved with its margin.
        margin = costFactor(this.opts.upstream.routed === true, ledger.costRatios.get(this.opts.upstream.id), probeDone !== noop);
        need.usd *= margin;
        const { admission, release: r } = this.reservations.tryReserve(caps, ledger.totals, need);
        if (!admission.ok) {
          probeDone();
          const { status, body: refusal } = budgetRefusal(this.vendor, admission.message);
          ledger.appendRefusal({ kind: 'refused', ts: new Date().toISOString(), upstream: this.opts.upstream.id, path: match.pathname, model: facts.model, cap: admission.cap, limit: admission.limit, spent: admission.spent, in_flight: admission.inFlight, needed: admission.needed });
          this.log(`${what} ${status} budget refused (${admission.cap}: spent ${admission.spent}, in flight ${admission.inFlight}, needed ${admission.needed}, cap ${admission.limit})`);
          return this.reply(res, status, refusal, { 'x-peers-budget': 'exhausted' });
        }
        const turn = probeDone;
        release = () => {
          r();
          turn();
        };
        // On the ledger before it goes out: a sidecar that dies with it at the vendor still counts it (reservation-journal.ts).
        // 96 random bits, 16 characters: a UUID's 36, written twice a request, was a tenth of a cheap request's ledger bytes.
        reservation = randomBytes(12).toString('base64url');
        try {
          ledger.append({ kind: 'reserved', ts: new Date().toISOString(), id: reservation, upstream: this.opts.upstream.id, path: match.pathname, model: facts.model, input_tokens: facts.promptTokensBound, output_tokens: facts.maxOutputTokens, usd: need.usd });
        } catch (e) {
          reservation = undefined;
          throw new ClientError(503, `the usage ledger cannot be written (${(e as Error).message}); the request was not sent`);
        }
      }
      const path = this.opts.keepPeerPrefix ? url : url.slice(match.peerPrefix.length);
      exchange = { route: match.route, pathname: match.pathname, facts, requestBytes: measured, release, costMargin: margin, ...(reservation ? { reservation } : {}) };
      // A client gone before its request is sent: nothing goes out (its slot may already be free).
      if (clientGone || freed) throw new ClientError(499, 'the client closed the request before it was sent');
      holds++;
      upstreamDone = once(drop);
      let inj = await this.opts.credentials.current();
      let up = await this.send(req, path, forward.body, inj, forward.reencoded);
      if (up.status === 401 && this.opts.credentials.kind === 'oauth-file') {
        up.body.resume();
        if (await this.opts.credentials.onUnauthorized(inj)) {
          inj = await this.opts.credentials.current();
          up = await this.send(req, path, forward.body, inj, forward.reencoded);
        }
      }
      release = noop; // the relay settles it now
      const ended = upstreamDone;
      upstreamDone = () => {};
      this.replies.relay(up, res, what, started, exchange, () => clientGone, ended);
    } catch (e) {
      // A request that went out but got no reply may still have been processed (and billed).
      if (e instanceof UnansweredRequest && exchange?.facts && this.opts.ledger) {
        this.replies.meterUnanswered(exchange, what, clientGone ? 'client-abort' : e.stalled ? 'stall' : 'upstream-error');
      } else if (reservation && release !== noop) this.replies.releaseOnLedger(reservation, what);
      release();
      probeDone();
      upstreamDone();
      const status = e instanceof ClientError ? e.status : e instanceof CredentialRefused ? 401 : 502;
      this.log(`${what} ${status} ${(e as Error).message}`);
      // The vendor's host could not be reached: marked, so the loop holds the peer rather than retrying it as a rate limit.
      if (e instanceof VendorUnreachable) return this.fail(res, 502, `peers auth sidecar: ${e.message}; check DNS, any proxy or firewall between this machine and ${e.host}`, VENDOR_UNREACHABLE);
      this.fail(res, status, `peers auth sidecar: ${(e as Error).message}`);
    }
  }

  /** A billable request the budget cannot reserve soundly: the CLI's budget refusal, nothing forwarded, no `refused` line. */
  private refuseUnreadable(res: ClientResponse, what: string, code: string, message: string): void {
    const { status, body } = budgetRefusal(this.vendor, message, code);
    this.log(`${what} ${status} refused: ${code}`);
    this.reply(res, status, body, { 'x-peers-budget': code.replace(/^peers_/, '').replace(/_/g, '-') });
  }

  /** Answers 429 while requests that billed nothing are over their rate: nothing forwarded, no ledger line. */
  private throttle(res: ClientResponse, what: string): void {
    const seconds = this.unbilled.retryAfterSeconds();
    const message = `peers: too many requests were answered with errors or never sent (each still writes to the usage ledger); retry in ${seconds} s`;
    const body = this.vendor === 'anthropic'
      ? JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message } })
      : JSON.stringify({ error: { message, type: 'rate_limit_error', param: null, code: 'peers_unbilled_throttle' } });
    this.log(`${what} 429 throttled: requests that billed nothing over ${this.unbilled.burst} at once, ${this.unbilled.perSecond}/s`);
    this.reply(res, 429, body, { 'retry-after': String(seconds), 'x-peers-budget': 'unbilled-throttle' });
  }
}

const noop = () => {};

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** A plain TCP connection on the pod's loopback (model-server mode only). */
function dialDirect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}
