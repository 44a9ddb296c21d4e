/** What an allowed request looks like end to end: tunnels, plain HTTP, the audit log, the bridge. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { JsonlAuditLog } from '../../../proxy/audit-log.ts';
import { Bridge } from '../../../proxy/bridge.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import { StaticResolver } from '../../../proxy/resolver.ts';
import { openTunnel, rawExchange, requestThrough, sleep, startUpstream, type Upstream } from './helpers.ts';

let up: Upstream;
let dir: string;
let audit: JsonlAuditLog;
let proxy: EgressServer;
let bridge: Bridge;
let bridgePort: number;

beforeAll(async () => {
  up = await startUpstream();
  dir = mkdtempSync(join(tmpdir(), 'peers-egress-'));
  audit = new JsonlAuditLog(join(dir, 'egress.jsonl'));
  proxy = new EgressServer({
    policy: EgressPolicy.fromLists([`api.peers.test:${up.port}`]),
    resolver: new StaticResolver({ 'api.peers.test': ['127.0.0.1'] }),
    guard: new AddressGuard({ allowLoopbackForTests: true }),
    audit,
  });
  await proxy.listen({ path: join(dir, 'egress.sock') });
  bridge = new Bridge({ path: join(dir, 'egress.sock') });
  bridgePort = await bridge.listen('127.0.0.1', 0);
});
afterAll(async () => {
  await bridge.close();
  await proxy.close();
  audit.close();
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

const auditLines = () => readFileSync(join(dir, 'egress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('egress proxy on a Unix socket, reached through the in-pod bridge', () => {
  test('a CONNECT tunnel to an allowed name carries bytes both ways and is audited with its byte counts', async () => {
    const sock = await openTunnel(bridgePort, `api.peers.test:${up.port}`);
    const reply = await requestThrough(sock, `api.peers.test:${up.port}`, '/v1/messages');
    expect(reply).toContain(`upstream saw GET /v1/messages host=api.peers.test:${up.port}`);
    await sleep(100);
    const rec = auditLines().at(-1);
    expect(rec).toMatchObject({ method: 'CONNECT', host: 'api.peers.test', port: up.port, address: '127.0.0.1', decision: 'allow', reason: 'tunnel', status: 200, client: 'unix' });
    expect(rec.bytes_up).toBeGreaterThan(40);
    expect(rec.bytes_down).toBe(Buffer.byteLength(reply, 'latin1'));
    expect(typeof rec.ts).toBe('string');
    expect(rec.duration_ms).toBeGreaterThanOrEqual(0);
  });

  test('plain HTTP in absolute form is sent to the origin in origin form, without proxy credentials', async () => {
    const r = await rawExchange(bridgePort, `GET http://api.peers.test:${up.port}/plain?q=1 HTTP/1.1\r\nHost: api.peers.test:${up.port}\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\n`);
    expect(r.text).toStartWith('HTTP/1.1 200');
    expect(r.text).toContain('upstream saw GET /plain?q=1');
    const seen = up.requests.at(-1)!;
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['proxy-connection']).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('yes');
    // The audit log names the destination, never the path or query (they may carry tokens).
    await sleep(100);
    const rec = auditLines().at(-1);
    expect(rec).toMatchObject({ method: 'GET', host: 'api.peers.test', decision: 'allow', reason: 'forwarded' });
    expect(JSON.stringify(rec)).not.toContain('plain');
    expect(JSON.stringify(rec)).not.toContain('q=1');
  });

  test('a refusal through the bridge reaches the client intact and lands in the audit file', async () => {
    const r = await rawExchange(bridgePort, 'CONNECT exfil.example:443 HTTP/1.1\r\nHost: exfil.example:443\r\n\r\n');
    expect(r.text).toStartWith('HTTP/1.1 403');
    expect(r.text).toContain('exfil.example is not on the egress allow-list');
    await sleep(50);
    expect(auditLines().at(-1)).toMatchObject({ host: 'exfil.example', decision: 'deny', status: 403 });
  });

  test('a name that does not resolve is a 502 with the resolver error', async () => {
    const p2 = new EgressServer({ policy: EgressPolicy.fromLists(['gone.peers.test']), resolver: new StaticResolver({}), guard: new AddressGuard(), audit });
    await p2.listen({ host: '127.0.0.1', port: 0 });
    const r = await rawExchange(p2.port, 'CONNECT gone.peers.test:443 HTTP/1.1\r\nHost: gone.peers.test:443\r\n\r\n');
    await p2.close();
    expect(r.text).toStartWith('HTTP/1.1 502');
    expect(r.text).toContain('could not resolve gone.peers.test: ENOTFOUND');
  });
});
