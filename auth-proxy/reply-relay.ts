/**
 * One upstream reply, relayed to its client and settled on the usage ledger (for auth-server.ts).
 * The reply streams through chunk by chunk, scrubbed of whatever it echoes of the credential
 * (secret-scrubber.ts), while a copy of each chunk feeds the reply meter; however the reply ends
 * (complete, cut short by the upstream, a stall, the client gone) its ledger line replaces the
 * request's reservation, an unbilled one gives the reservation back, and a 429 leaves a `limited`
 * line. Its own file because it is the one place a forwarded request's cost is written down
 * (SECURITY.md, "Nothing unmetered"): what the server decides before a request goes out stays in
 * auth-server.ts.
 */
import type { ApiRoute } from './api-routes.ts';
import type { ClientResponse } from './client-response.ts';
import { clientResponseHeaders } from './credential-headers.ts';
import { SecretScrubber, scrubHeaders } from './secret-scrubber.ts';
import { isVendorOwnError } from './vendor-own-error.ts';
import type { UnbilledThrottle } from './unbilled-throttle.ts';
import type { PoolResponse } from './upstream-pool.ts';
import { limitFromReply } from './usage/limit-reply.ts';
import type { UserPrices, Vendor } from './usage/price-table.ts';
import { PlanSignalSampler, planUsageSignals } from './usage/plan-usage.ts';
import { type MeterOutcome, ReplyMeter } from './usage/reply-meter.ts';
import { replyLine } from './usage/reply-line.ts';
import type { ProjectTier } from './usage/project-tier.ts';
import type { RequestFacts } from './usage/request-cost.ts';
import type { ReplyLine, UsageLedger } from './usage/usage-ledger.ts';

/**
 * Statuses that say the request was refused before it was served, so nothing was billed: 1xx-3xx
 * (a redirect), the 4xx that refuse a request (malformed, unauthorized, not found, too large, a
 * rate limit, …), 501 and 505 (not served at all), and 529 (Anthropic's overloaded, refused before
 * sampling). Every other status is ambiguous: a gateway's timeout (504, Cloudflare's 524, LiteLLM's
 * 408 for a request's own `timeout`), a cancellation (499, a load balancer's 460), a bad gateway or
 * an upstream reset before the head (502, 503 from Envoy, 520) can come after the backend generated
 * the reply and billed it, so it is metered like a whole reply without usage: input at its bound,
 * output at its whole allowance (SECURITY.md, "Nothing unmetered"; gateway-error-budget.test.ts).
 * A 4xx not listed (one peers does not know) is ambiguous too.
 */
const REFUSED_4XX = new Set([400, 401, 402, 403, 404, 405, 406, 407, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451]);
const REFUSED_5XX = new Set([501, 505, 529]);
export const mayHaveBilled = (status: number): boolean =>
  status >= 200 && !(status >= 300 && status < 400) && !REFUSED_4XX.has(status) && !REFUSED_5XX.has(status);

/** Vendors' error bodies are a few hundred bytes; only this much of a 429 (its reset time) or a 5xx (whose error it is) is read. */
const MAX_ERROR_BODY = 64 * 1024;

/** `reservation`: the id of its `reserved` ledger line, which the reply's line (or a `released` line) settles. */
/** `costMargin`: how many times the table's price the request was reserved at (a router's margin: budget.ts, costFactor). */
export type Exchange = { route: ApiRoute; pathname: string; facts: RequestFacts | null; requestBytes: number; release: () => void; reservation?: string; costMargin?: number };

/** What one upstream's server settles replies with: its ledger (null: nothing is metered), its prices and its log. */
export type RelayContext = {
  upstreamId: string;
  /** The vendor's own API, not a router a provider names: its own quick 5xx is unbilled (vendor-own-error.ts). */
  firstParty: boolean;
  vendor: Vendor;
  prices: UserPrices;
  ledger: UsageLedger | null;
  maxMeteredJsonBytes: number;
  /** Each `released` line counts as a request that billed nothing (unbilled-throttle.ts). */
  unbilled: UnbilledThrottle;
  /** The credentials sent so far, read when a reply starts: what the upstream echoes of them is scrubbed. */
  secrets: () => string[];
  /** The server's log, credentials redacted. */
  log: (line: string) => void;
  /** What the replies say of the tier the upstream's project bills at (project-tier.ts). */
  projectTier: ProjectTier;
};

export class ReplyRelay {
  /** Which replies' rate-limit signals go on the ledger: not every one's (plan-usage.ts). */
  private readonly signals = new PlanSignalSampler();

  constructor(private readonly ctx: RelayContext) {}

  /**
   * Streams the reply to the client unmodified while the meter reads a copy; when the reply ends,
   * however it ends, its ledger line replaces the request's reservation.
   */
  relay(up: PoolResponse, res: ClientResponse, what: string, started: number, x: Exchange, clientGone: () => boolean, upstreamEnded: () => void): void {
    const status = up.status;
    // Whatever the upstream echoes of the credential, in a header or the body, stays here (secret-scrubber.ts).
    const secrets = this.ctx.secrets();
    const scrubber = new SecretScrubber(secrets);
    res.writeHead(status, scrubHeaders(clientResponseHeaders(up.headers), secrets));
    res.flushHeaders();
    const contentType = String(up.headers['content-type'] ?? '');
    const stream = contentType.includes('text/event-stream');
    const billed = x.route.kind === 'billable' && this.ctx.ledger !== null && mayHaveBilled(status);
    const meter = billed
      ? new ReplyMeter({ stream, json: contentType.includes('json'), requestBytes: x.requestBytes, inputTokensBound: x.facts?.promptTokensBound, maxOutputTokens: x.facts?.maxOutputTokens ?? 0, requestModel: x.facts?.model ?? '', maxJsonBytes: this.ctx.maxMeteredJsonBytes })
      : null;
    // A 429 says which limit was hit and when it lifts, a 5xx whether the vendor itself refused: its (small) error body is kept for that.
    const errorChunks: Buffer[] | null = x.route.kind === 'billable' && this.ctx.ledger !== null && (status === 429 || (status >= 500 && this.ctx.firstParty)) ? [] : null;
    let errorBytes = 0;
    let complete = false;
    let settled = false;
    const settle = (outcome: MeterOutcome) => {
      if (settled) return;
      settled = true;
      const ms = Math.round(performance.now() - started);
      try {
        const errorBody = errorChunks ? Buffer.concat(errorChunks).toString('utf8') : '';
        if (status === 429) this.recordLimit(x, status, up.headers, errorBody, what);
        const ownError = meter !== null && outcome === 'complete' && isVendorOwnError({ vendor: this.ctx.vendor, firstParty: this.ctx.firstParty, status, headers: up.headers, body: errorBody, ms });
        if (!meter || ownError) {
          // An error reply is not billed: its reservation goes back, on the ledger too.
          if (x.reservation) this.releaseOnLedger(x.reservation, what);
          return this.ctx.log(`${what} ${status} ${ms}ms${outcome === 'complete' ? '' : ` (${outcome})`}`);
        }
        const metered = meter.finish(outcome);
        this.ctx.projectTier.learn(x.facts, metered.usage.service_tier);
        const line = this.ledgerLine(x, status, stream, metered, this.signals.keep(planUsageSignals(up.headers), Date.now()) ? up.headers : {});
        this.ctx.ledger!.append(line);
        this.ctx.log(`${what} ${status} ${ms}ms model=${line.model} in=${line.input_tokens} out=${line.output_tokens} usd=${line.usd}${line.cut_short ? ` cut short (${line.cut_short}; estimated: ${line.estimated?.join(', ') ?? 'nothing'})` : ''}`);
      } catch (e) {
        this.ctx.log(`${what} ${status}: could not record usage: ${(e as Error).message}`);
      } finally {
        x.release();
        upstreamEnded();
      }
    };
    up.body.on('data', (c: Buffer) => {
      const clean = scrubber.push(c);
      if (clean.length > 0 && !res.write(clean)) up.body.pause();
      meter?.feed(c);
      if (errorChunks && errorBytes < MAX_ERROR_BODY) {
        errorChunks.push(c.subarray(0, MAX_ERROR_BODY - errorBytes));
        errorBytes += c.length;
      }
    });
    res.on('drain', () => up.body.resume());
    res.on('close', () => {
      if (complete) return;
      // The client went away mid-reply: drop the upstream connection rather than reuse it.
      up.body.destroy();
      settle('client-abort');
    });
    up.body.on('error', (e) => {
      res.destroy();
      settle(/idle timeout/.test(e.message) ? 'stall' : 'upstream-error');
    });
    up.body.on('end', () => {
      complete = true;
      res.write(scrubber.end());
      res.end();
      settle('complete');
    });
    if (clientGone()) {
      // The client left while the upstream was still answering the head: nothing more will be read.
      up.body.destroy();
      settle('client-abort');
    }
  }

  /** Gives a reservation back on the ledger: its request was never sent, or its reply bills nothing. */
  releaseOnLedger(id: string, what: string): void {
    this.ctx.unbilled.take();
    try {
      this.ctx.ledger!.append({ kind: 'released', ts: new Date().toISOString(), id });
    } catch (e) {
      // Left unsettled, a restarted sidecar counts it as spent: the safe side.
      this.ctx.log(`${what}: could not record the release of its reservation: ${(e as Error).message}`);
    }
  }

  /** A `limited` ledger line for a 429: the loop reads from it which peer sleeps until when. */
  private recordLimit(x: Exchange, status: number, headers: Record<string, string | string[]>, body: string, what: string): void {
    const limit = limitFromReply({ status, headers, body }, Date.now());
    if (!limit) return;
    const resetAt = limit.resetAtMs === null ? null : new Date(limit.resetAtMs).toISOString();
    this.ctx.ledger!.append({ kind: 'limited', ts: new Date().toISOString(), upstream: this.ctx.upstreamId, path: x.pathname, status, limit: limit.kind, reset_at: resetAt, source: limit.source, message: limit.message });
    this.ctx.log(`${what} ${status} ${limit.kind} limit${resetAt ? ` until ${resetAt} (${limit.source})` : ` (${limit.source})`}`);
  }

  /** Records the estimate for a request sent upstream that never got a reply head. */
  meterUnanswered(x: Exchange, what: string, outcome: MeterOutcome): void {
    try {
      const meter = new ReplyMeter({ stream: x.facts!.stream, json: true, requestBytes: x.requestBytes, inputTokensBound: x.facts!.promptTokensBound, maxOutputTokens: x.facts!.maxOutputTokens, requestModel: x.facts!.model, maxJsonBytes: 0 });
      const line = this.ledgerLine(x, 0, x.facts!.stream, meter.finish(outcome), {});
      this.ctx.ledger!.append(line);
      this.ctx.log(`${what} no reply (${outcome}): metered as estimated in=${line.input_tokens} out=${line.output_tokens} usd=${line.usd}`);
    } catch (err) {
      this.ctx.log(`${what}: could not record usage: ${(err as Error).message}`);
    }
  }

  private ledgerLine(x: Exchange, status: number, stream: boolean, m: ReturnType<ReplyMeter['finish']>, headers: Record<string, string | string[]>): ReplyLine {
    const request = x.facts ? { speed: x.facts.speed, serviceTier: this.ctx.projectTier.forReservation(x.facts), inferenceGeo: x.facts.inferenceGeo } : undefined;
    return replyLine({ upstream: this.ctx.upstreamId, path: x.pathname, vendor: this.ctx.vendor, prices: this.ctx.prices, longContext: x.facts?.longContext, longCache: x.facts?.longCache, reservation: x.reservation, request, costMargin: x.costMargin, routing: x.facts?.routing, tierFromProject: this.ctx.projectTier.leftToProject(x.facts ?? null) }, status, stream, m, headers, new Date().toISOString());
  }
}
