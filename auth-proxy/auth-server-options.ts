/**
 * What the credential server of one upstream (auth-server.ts) is configured with, and its limits'
 * defaults. Its own file because the sidecar (auth-sidecar.ts) builds these for every upstream,
 * sharing the counters that make a limit the sidecar's rather than one port's (SECURITY.md,
 * "Limits"), and reads the defaults to size what they share.
 */
import { type BodyBytes, DEFAULT_BUFFERED_BODY_BYTES } from './body-budget.ts';
import type { ClientLimits } from './client-http.ts';
import type { CredentialSource } from './credential-source.ts';
import type { ConnectOptions } from './egress-connector.ts';
import type { RequestAudit } from './request-audit.ts';
import { DEFAULT_UNBILLED_BURST, DEFAULT_UNBILLED_PER_SECOND, type UnbilledThrottle } from './unbilled-throttle.ts';
import { STALE_RACE_MS } from './upstream-pool.ts';
import type { UpstreamSpec } from './upstreams.ts';
import type { BudgetCaps, Reservations } from './usage/budget.ts';
import type { UserPrices } from './usage/price-table.ts';
import type { UsageLedger } from './usage/usage-ledger.ts';

/**
 * `maxBufferedBodyBytes`: request bodies held at once, when no shared `bodyBytes` is given (body-budget.ts);
 * `unbilledBurst`/`unbilledPerSecond`: the throttle on requests that bill nothing, when no shared `unbilled` is given (unbilled-throttle.ts);
 * `staleRaceMs`: how soon after a request is written a reused upstream connection's close can still be the idle race, and the request be sent again (upstream-pool.ts).
 */
export type AuthLimits = { maxRequestBytes: number; maxMeteredJsonBytes: number; maxConcurrent: number; upstreamIdleMs: number; maxBufferedBodyBytes: number; unbilledBurst: number; unbilledPerSecond: number; staleRaceMs: number };
export const DEFAULT_AUTH_LIMITS: AuthLimits = { maxRequestBytes: 32 * 1024 * 1024, maxMeteredJsonBytes: 32 * 1024 * 1024, maxConcurrent: 64, upstreamIdleMs: 600_000, maxBufferedBodyBytes: DEFAULT_BUFFERED_BODY_BYTES, unbilledBurst: DEFAULT_UNBILLED_BURST, unbilledPerSecond: DEFAULT_UNBILLED_PER_SECOND, staleRaceMs: STALE_RACE_MS };

export type AuthServerOptions = {
  upstream: UpstreamSpec;
  /** Overrides `upstream.origin` (tests point it at a local server). */
  origin?: string;
  credentials: CredentialSource;
  egress: ConnectOptions;
  /**
   * Connect to the origin directly instead of through the egress proxy: only for the scripted
   * model server on the pod's own loopback (`peers up` in model-server mode), never a vendor.
   */
  direct?: boolean;
  /** Forward a leading `/peer/<name>` (the scripted model server routes on it); vendors never get it. */
  keepPeerPrefix?: boolean;
  ledger: UsageLedger | null;
  caps: () => BudgetCaps;
  /** The user's prices for models the table does not list (`budget.prices`, from the budget policy). */
  prices?: UserPrices;
  /** Shared by every upstream of one sidecar, so they all draw on one budget. */
  reservations?: Reservations;
  /** Requests in flight, shared by every upstream of one sidecar: the limit is the sidecar's (SECURITY.md, "Limits"). */
  slots?: { active: number };
  /** Request-body bytes held in memory, shared by every upstream of one sidecar: the memory is the sidecar's (body-budget.ts). */
  bodyBytes?: BodyBytes;
  /** Client connections open at once, shared by every upstream of one sidecar: the descriptors are the sidecar's (client-http.ts). */
  connections?: { count: number };
  /** Requests that billed nothing, shared by every upstream of one sidecar: the ledger is one (unbilled-throttle.ts). */
  unbilled?: UnbilledThrottle;
  audit?: RequestAudit;
  limits?: Partial<AuthLimits>;
  /** The client connections' deadlines and cap (client-http.ts; tests shorten them). */
  clientLimits?: Partial<ClientLimits>;
  log?: (line: string) => void;
};
