/** The workspace's credentials never reach the vendor; the real one never comes back out. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ApiKeySource, type CredentialSource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { type FakeVendor, startFakeVendor } from './fake-vendor.ts';
import { call, type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';
import { waitFor } from '../../wait-for.ts';

const REAL_ANTHROPIC = 'sk-ant-api03-REAL-anthropic-key-0123456789abcdef';
const REAL_OPENAI = 'sk-proj-REAL-openai-key-0123456789abcdef';
let vendor: FakeVendor;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;

beforeAll(async () => {
  vendor = await startFakeVendor();
  egress = await startEgress(vendor.port);
  anthropic = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', REAL_ANTHROPIC) });
  openai = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', REAL_OPENAI), ledgerPath: join(egress.dir, 'usage-openai.jsonl') });
});
afterAll(async () => {
  await anthropic.close();
  await openai.close();
  await egress.close();
  await vendor.close();
});

const clientCredentials = {
  authorization: 'Bearer peers-placeholder',
  'x-api-key': 'sk-ant-stray-key-from-workspace',
  'x-goog-api-key': 'stray-google-key',
  'anthropic-api-key': 'stray-anthropic-key',
  cookie: 'session=stolen',
  'proxy-authorization': 'Basic c3RyYXk=',
};

describe('credential sidecar', () => {
  test('strips every credential the client sent and injects only the real Anthropic key', async () => {
    const r = await call(anthropic.url, '/v1/messages', { body: { model: 'claude-sonnet-4-5', max_tokens: 5 }, headers: { ...clientCredentials, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024' } });
    expect(r.status).toBe(200);
    const seen = vendor.requests.at(-1)!;
    expect(seen.headers['x-api-key']).toBe(REAL_ANTHROPIC);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-goog-api-key']).toBeUndefined();
    expect(seen.headers['anthropic-api-key']).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen.headers['anthropic-beta']).toBe('tools-2024');
    expect(seen.headers.host).toBe(`api.peers.test:${vendor.port}`);
    expect(JSON.stringify(seen.headers)).not.toContain('stray');
    expect(JSON.stringify(seen.headers)).not.toContain('placeholder');
  });

  test('replaces the OpenAI bearer placeholder with the real key', async () => {
    const r = await call(openai.url, '/v1/responses', { body: { model: 'gpt-5', input: 'x' }, headers: clientCredentials });
    expect(r.status).toBe(200);
    const seen = vendor.requests.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${REAL_OPENAI}`);
    expect(seen.headers['x-api-key']).toBeUndefined();
  });

  test('reaches only its fixed upstream, through one kept-alive tunnel in the egress proxy', async () => {
    const before = egress.audit.records.length;
    const fresh = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', REAL_ANTHROPIC) });
    for (let i = 0; i < 3; i++) expect((await call(fresh.url, '/v1/messages', { body: { stream: i === 1 } })).status).toBe(200);
    expect(fresh.server.upstreamConnections).toBe(1);
    await fresh.close();
    // The egress proxy records a tunnel when it closes.
    await waitFor('the egress proxy to record the closed tunnel', () => egress.audit.records.length > before, 5_000);
    const recs = egress.audit.records.slice(before).filter((r) => r.decision === 'allow');
    expect(recs.map((r) => [r.method, r.host, r.port])).toEqual([['CONNECT', 'api.peers.test', vendor.port]]);
    // An absolute-form request (an attempt to use the sidecar as a forward proxy) is refused.
    const raw = await new Promise<string>((resolve) => {
      const sock = connect(Number(new URL(anthropic.url).port), '127.0.0.1');
      let t = '';
      sock.on('data', (d: Buffer) => (t += d));
      sock.on('close', () => resolve(t));
      sock.write('GET http://evil.example/steal HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(vendor.requests.some((q) => q.url.includes('steal'))).toBe(false);
  });

  test('the real key never appears in any reply, error, log line, ledger or audit record', async () => {
    const replies: string[] = [];
    const collect = async (p: Promise<{ status: number; headers: Headers; text: string }>) => {
      const r = await p;
      replies.push(String(r.status), JSON.stringify([...r.headers.entries()]), r.text);
    };
    await collect(call(anthropic.url, '/v1/messages', { body: { stream: true } }));
    await collect(call(anthropic.url, '/v1/messages', { body: {} }));
    await collect(call(anthropic.url, '/nope', { body: {} }));
    await collect(call(openai.url, '/v1/responses', { body: { stream: true } }));
    // Upstream 401 passes through as the vendor's error, never with the key.
    vendor.requireBearer = 'something-else';
    await collect(call(openai.url, '/v1/responses', { body: {} }));
    vendor.requireBearer = null;
    // The egress proxy refusing the origin becomes a 502 with the proxy's reason.
    const blocked = await startSidecar({ egress, vendorPort: vendor.port, host: 'blocked.peers.test', credentials: new ApiKeySource('x-api-key', REAL_ANTHROPIC) });
    const refused = await call(blocked.url, '/v1/messages', { body: {} });
    await blocked.close();
    expect(refused.status).toBe(502);
    expect(refused.text).toContain('blocked.peers.test is not on the egress allow-list');
    replies.push(refused.text, ...blocked.logs);
    const everything = [
      ...replies, ...anthropic.logs, ...openai.logs,
      readFileSync(join(egress.dir, 'usage.jsonl'), 'utf8'), readFileSync(join(egress.dir, 'usage-openai.jsonl'), 'utf8'),
      JSON.stringify(egress.audit.records),
    ].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    expect(everything).not.toContain(REAL_ANTHROPIC);
    expect(everything).not.toContain(REAL_OPENAI);
    expect(everything).not.toContain('REAL-');
  });

  test('an error that quotes a credential the sidecar used is scrubbed from the reply and the log', async () => {
    // E.g. a credentials file caught half-written: the parse error quotes the token it holds.
    const token = 'sk-ant-oat01-REAL-oauth-token-0123456789abcdef';
    let calls = 0;
    const source: CredentialSource = {
      kind: 'oauth-file',
      current: async () => {
        if (++calls === 1) return { headers: { authorization: `Bearer ${token}` }, secrets: [token] };
        throw new Error(`.credentials.json: not valid JSON near "accessToken": "${token}", (truncated)`);
      },
      onUnauthorized: async () => false,
    };
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: source });
    try {
      expect((await call(sidecar.url, '/v1/messages', { body: {} })).status).toBe(200);
      const failed = await call(sidecar.url, '/v1/messages', { body: {} });
      expect(failed.status).toBe(502);
      expect(failed.text).toContain('not valid JSON near \\"accessToken\\": \\"[redacted]\\"');
      expect([failed.text, ...sidecar.logs].join('\n')).not.toContain(token);
      expect(sidecar.logs.some((l) => l.includes('[redacted]'))).toBe(true);
    } finally {
      await sidecar.close();
    }
  });
});
