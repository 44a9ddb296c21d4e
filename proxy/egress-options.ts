/**
 * What an egress listener is given: its allow-list, resolver, address guard and audit sink, and the
 * limits that bound each client (egress-server.ts accepts, egress-connection.ts serves one client).
 */
import type { AddressGuard } from './address-guard.ts';
import type { AuditSink } from './audit-log.ts';
import type { EgressPolicy } from './egress-policy.ts';
import type { HeadLimits } from './request-head.ts';
import type { Resolver } from './resolver.ts';

export type EgressLimits = HeadLimits & {
  /** A client must send its whole request head within this time (slowloris defence). */
  headerTimeoutMs: number;
  /** A tunnel with no byte in either direction for this long is closed. */
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  /** Concurrent tunnels and plain requests; more are refused with 503. */
  maxTunnels: number;
  /** Open client connections of any kind (including ones still sending their head). */
  maxConnections: number;
};

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 32 * 1024,
  maxHeaderCount: 100,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  maxTunnels: 256,
  maxConnections: 1024,
};

export type EgressServerOptions = {
  policy: EgressPolicy;
  resolver: Resolver;
  guard: AddressGuard;
  audit: AuditSink;
  limits?: Partial<EgressLimits>;
  /** Names this listener in audit records. */
  name?: string;
};
