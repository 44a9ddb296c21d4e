/**
 * A vendor the egress proxy cannot reach (its name does not resolve, nothing answers at it) is
 * answered with the sidecar's own 502 carrying `peers_vendor_unreachable`, which the loop reads in
 * the CLI's error to hold the peer; the vendor's own 502 passes through unmarked (a rate-limit-like blip).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { MemoryAuditLog } from '../../../proxy/audit-log.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import { StaticResolver } from '../../../proxy/resolver.ts';
import { call, type Egress, type Sidecar, startSidecar, startStandInVendor, type StandInVendor } from './sidecar-fixture.ts';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';

let vendor: StandInVendor;
let egress: Egress;
const sidecars: Sidecar[] = [];
const closedPort = 9; // discard: nothing listens on loopback's port 9 here

beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'upstream connect error' } }));
  });
  const dir = mkdtempSync(join(tmpdir(), 'peers-auth-'));
  const audit = new MemoryAuditLog();
  // Every host is allowed: what fails is resolving or connecting, never the allow list.
  const server = new EgressServer({
    policy: EgressPolicy.fromLists([`api.peers.test:${vendor.port}`, `gone.peers.test:${vendor.port}`, `down.peers.test:${closedPort}`]),
    resolver: new StaticResolver({ 'api.peers.test': ['127.0.0.1'], 'down.peers.test': ['127.0.0.1'] }),
    guard: new AddressGuard({ allowLoopbackForTests: true }),
    audit,
    limits: {},
  });
  const socket = join(dir, 'egress.sock');
  await server.listen({ path: socket });
  egress = { dir, socket, server, audit, close: async () => { await server.close(); rmSync(dir, { recursive: true, force: true }); } };
});
afterAll(async () => {
  for (const s of sidecars) await s.close();
  await egress.close();
  await vendor.close();
});

async function sidecar(host: string, port: number, upstream = UPSTREAMS.anthropic): Promise<Sidecar> {
  const s = await startSidecar({ egress, vendorPort: port, host, upstream, credentials: new ApiKeySource(upstream === UPSTREAMS.anthropic ? 'x-api-key' : 'authorization', 'sk-test-unreachable-0') });
  sidecars.push(s);
  return s;
}

const ask = (s: Sidecar, path = '/v1/messages') => call(s.url, path, { body: { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, headers: { 'anthropic-version': '2023-06-01' } });

describe('a vendor the egress proxy cannot reach', () => {
  test('a name that does not resolve: 502 marked peers_vendor_unreachable, naming the host and what to check', async () => {
    const r = await ask(await sidecar('gone.peers.test', vendor.port));
    expect(r.status).toBe(502);
    expect(r.headers.get('x-peers-sidecar')).toBe('vendor-unreachable');
    const body = JSON.parse(r.text) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('api_error');
    expect(body.error.message).toBe('peers auth sidecar: cannot reach gone.peers.test (peers_vendor_unreachable): could not resolve gone.peers.test: ENOTFOUND; check DNS, any proxy or firewall between this machine and gone.peers.test');
  });

  test('nothing answers at the address: marked the same way (OpenAI error shape: the code too)', async () => {
    const r = await ask(await sidecar('down.peers.test', closedPort, UPSTREAMS.openai), '/v1/responses');
    expect(r.status).toBe(502);
    expect(r.headers.get('x-peers-sidecar')).toBe('vendor-unreachable');
    const body = JSON.parse(r.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('peers_vendor_unreachable');
    expect(body.error.message).toContain('cannot reach down.peers.test (peers_vendor_unreachable): could not connect to down.peers.test:9');
  });

  test("the vendor's own 502 is relayed unmarked: an overload stays a transient error", async () => {
    const r = await ask(await sidecar('api.peers.test', vendor.port));
    expect(r.status).toBe(502);
    expect(r.headers.get('x-peers-sidecar')).toBeNull();
    expect(r.text).not.toContain('peers_vendor_unreachable');
  });

  test("the sidecar's message, as claude reports it, is read by the loop as a network failure", async () => {
    const r = await ask(await sidecar('gone.peers.test', vendor.port));
    const message = (JSON.parse(r.text) as { error: { message: string } }).error.message;
    const result = { type: 'result', subtype: 'success', is_error: true, api_error_status: 502, result: `API Error: 502 ${message}. This is a server-side issue, usually temporary — try again in a moment.` };
    expect(structuredStatus('claude', `${JSON.stringify(result)}\n`)).toMatchObject({ kind: 'network', host: 'gone.peers.test' });
  });
});
