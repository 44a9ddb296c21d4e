/**
 * The credential sidecar wired the way the pod wires it: auth server → real egress proxy on a Unix
 * socket → vendor. The egress proxy's resolver maps the test names to the local fake vendor, and
 * only its loopback refusal is relaxed (AddressGuard's explicit test override).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthServer } from '../../../auth-proxy/auth-server.ts';
import type { AuthLimits } from '../../../auth-proxy/auth-server-options.ts';
import type { ClientLimits } from '../../../auth-proxy/client-http.ts';
import type { RequestAudit } from '../../../auth-proxy/request-audit.ts';
import { ApiKeySource, type CredentialSource } from '../../../auth-proxy/credential-source.ts';
import { type UpstreamSpec, UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import type { BudgetCaps, Reservations } from '../../../auth-proxy/usage/budget.ts';
import type { UserPrices } from '../../../auth-proxy/usage/price-table.ts';
import { UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { MemoryAuditLog } from '../../../proxy/audit-log.ts';
import type { EgressLimits } from '../../../proxy/egress-options.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import { StaticResolver } from '../../../proxy/resolver.ts';

export type Egress = { dir: string; socket: string; server: EgressServer; audit: MemoryAuditLog; close(): Promise<void> };

/** `tokenPort`: where auth.peers.test (the OAuth token endpoint) listens, when not beside the API; `limits`: the proxy's, shortened by a test. */
export async function startEgress(vendorPort: number, tokenPort = vendorPort, limits: Partial<EgressLimits> = {}): Promise<Egress> {
  const dir = mkdtempSync(join(tmpdir(), 'peers-auth-'));
  const audit = new MemoryAuditLog();
  const server = new EgressServer({
    policy: EgressPolicy.fromLists([`api.peers.test:${vendorPort}`, `auth.peers.test:${tokenPort}`]),
    resolver: new StaticResolver({ 'api.peers.test': ['127.0.0.1'], 'auth.peers.test': ['127.0.0.1'], 'blocked.peers.test': ['127.0.0.1'] }),
    guard: new AddressGuard({ allowLoopbackForTests: true }),
    audit,
    limits,
  });
  const socket = join(dir, 'egress.sock');
  await server.listen({ path: socket });
  return { dir, socket, server, audit, close: async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export type Sidecar = { url: string; server: AuthServer; ledger: UsageLedger; logs: string[]; close(): Promise<void> };

export async function startSidecar(opts: { egress: Egress; vendorPort: number; upstream?: UpstreamSpec; credentials: CredentialSource; caps?: BudgetCaps; ledgerPath?: string; host?: string; limits?: Partial<AuthLimits>; clientLimits?: Partial<ClientLimits>; audit?: RequestAudit; ledger?: UsageLedger; reservations?: Reservations; prices?: UserPrices; slots?: { active: number } }): Promise<Sidecar> {
  const logs: string[] = [];
  const ledger = opts.ledger ?? new UsageLedger(opts.ledgerPath ?? join(opts.egress.dir, 'usage.jsonl'));
  const server = new AuthServer({
    upstream: opts.upstream ?? UPSTREAMS.anthropic,
    origin: `http://${opts.host ?? 'api.peers.test'}:${opts.vendorPort}`,
    credentials: opts.credentials,
    egress: { via: { path: opts.egress.socket } },
    ledger,
    caps: () => opts.caps ?? {},
    prices: opts.prices,
    limits: opts.limits,
    clientLimits: opts.clientLimits,
    reservations: opts.reservations,
    ...(opts.slots ? { slots: opts.slots } : {}),
    audit: opts.audit,
    log: (l) => logs.push(l),
  });
  const port = await server.listen('127.0.0.1', 0);
  return { url: `http://127.0.0.1:${port}`, server, ledger, logs, close: () => server.close() };
}

/** A full reply as the client sees it: status, headers and body text. */
export async function call(url: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify(init.body ?? {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/**
 * A stand-in vendor's non-streamed reply billing `usage`: the Messages shape on `/messages`, the
 * Responses shape otherwise.
 */
export function billedReply(url: string, usage: { input_tokens: number; output_tokens: number }): string {
  if (url.endsWith('/messages')) return JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage });
  return JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } });
}

export type StandInVendor = { port: number; close(): Promise<void> };

/** A stand-in vendor on loopback: `answer` gets each request with its whole body read. */
export async function startStandInVendor(answer: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void): Promise<StandInVendor> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    answer(req, Buffer.concat(chunks), res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The sidecar for one vendor's API in front of the stand-in at `vendorPort`, through its own egress proxy; `close` closes both. */
export async function sidecarFor(vendor: 'anthropic' | 'openai', vendorPort: number, caps: BudgetCaps, key = 'sk-test-0000000000'): Promise<{ s: Sidecar; egress: Egress; close(): Promise<void> }> {
  const egress = await startEgress(vendorPort);
  const s = await startSidecar({ egress, vendorPort, upstream: vendor === 'anthropic' ? UPSTREAMS.anthropic : UPSTREAMS.openai, credentials: new ApiKeySource(vendor === 'anthropic' ? 'x-api-key' : 'authorization', key), caps });
  return { s, egress, close: async () => void (await s.close(), await egress.close()) };
}

export type RelayedRequest = { url: string; headers: http.IncomingHttpHeaders; body: Buffer };
export type RecordingRelay = { port: number; seen: RelayedRequest[]; close(): Promise<void> };

/**
 * A plain HTTP relay on loopback to `targetPort` that records each request as it passed (headers
 * and body): put between a real CLI and the sidecar, and between the sidecar and the model server,
 * it shows what the CLI sent and what reached the vendor.
 */
export async function startRecordingRelay(targetPort: number): Promise<RecordingRelay> {
  const seen: RelayedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ url: req.url ?? '', headers: req.headers, body });
    const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
