/**
 * A provider (`provider:` in config, here OpenRouter's shape: an OpenAI-compatible API under
 * https://…/api/v1) as the pod wires it, over real sockets and real TLS: the auth sidecar's
 * provider upstream → the egress sidecar's vendor listener (the provider's host allowed there by
 * `--vendor-allow`, and only there) → a local HTTPS server speaking the Responses API.
 *
 * Attacks: the workspace reaches the provider with a key of its own (refused: not on its
 * listener); a peer uses the real key for an API path no CLI needs (403, never forwarded); it
 * spends past the cap (refused before anything goes out); an unknown model costs nothing (without
 * a USD cap it is priced at the most expensive row; under one it is refused until priced).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerCredentials } from '../../../auth-proxy/auth-sidecar.ts';
import { AuthServer } from '../../../auth-proxy/auth-server.ts';
import { providerUpstream } from '../../../auth-proxy/upstreams.ts';
import { Reservations } from '../../../auth-proxy/usage/budget.ts';
import { FALLBACK_RATES, PRICE_TABLE } from '../../../auth-proxy/usage/price-table.ts';
import { readLedger, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type RunningEgress, startEgressSidecar } from '../../../proxy/egress-sidecar.ts';
import { ProviderArgSchema, type ProviderUpstream } from '../../../src/config/provider.ts';
import { responsesStreamEvents } from '../../../src/model-server/responses-wire.ts';
import { providerAllowEntry } from '../../../sandbox/pod-spec.ts';

const KEY = 'sk-or-v1-real-provider-key-0001';
type Seen = { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string };

let dir: string;
let upstream: https.Server;
let port: number;
let egress: RunningEgress;
let cert: Buffer;
const seen: Seen[] = [];
let provider: ProviderUpstream;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-provider-'));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=router.peers.test', '-addext', 'subjectAltName=DNS:router.peers.test'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  cert = readFileSync(join(dir, 'c.pem'));
  upstream = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/api/v1/responses') {
        res.writeHead(404, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      }
      const { model } = JSON.parse(body) as { model: string };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of responsesStreamEvents('resp_1', model, { text: 'hello', calls: [], idPrefix: 'p' }, { input_tokens: 1000, output_tokens: 200, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 })) res.write(e);
      res.end();
    });
  });
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', () => ok()));
  port = (upstream.address() as net.AddressInfo).port;
  provider = ProviderArgSchema.parse({ name: 'openrouter', kind: 'openai-compatible', base_url: `https://router.peers.test:${port}/api/v1`, key_env: 'OPENROUTER_API_KEY', port: 8100 });
  // The pod's egress container: the workspace listener and the auth sidecar's vendor listener.
  egress = await startEgressSidecar(
    {
      listen: `unix:${join(dir, 'workspace.sock')}`,
      vendorListen: `unix:${join(dir, 'vendor.sock')}`,
      allow: [],
      oauthHosts: false,
      vendorAllow: [providerAllowEntry(provider)],
      limits: {},
      testResolve: ['router.peers.test=127.0.0.1'],
      env: { PEERS_EGRESS_TEST_MODE: '1' },
    },
    () => {},
  );
});

afterAll(async () => {
  await egress?.stop();
  upstream?.closeAllConnections?.();
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sidecar(caps: { maxUsd?: number; maxTokens?: number } = {}) {
  const ledger = new UsageLedger(join(dir, `usage-${Math.random().toString(36).slice(2)}.jsonl`));
  const server = new AuthServer({
    upstream: providerUpstream(provider),
    credentials: providerCredentials(provider, { env: { OPENROUTER_API_KEY: KEY } }),
    egress: { via: { path: join(dir, 'vendor.sock') }, ca: cert },
    ledger,
    caps: () => caps,
    reservations: new Reservations(),
  });
  const url = `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
  return { url, ledger, close: () => server.close() };
}

const turn = (model: string) => ({ model, input: [{ role: 'user', content: 'hi' }], stream: true, max_output_tokens: 1000 });

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer peers-auth-sidecar-placeholder', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('a provider upstream in the pod', () => {
  test("codex's request reaches the provider under its base URL with the real key; the workspace held a placeholder", async () => {
    const s = await sidecar();
    const before = seen.length;
    const r = await post(s.url, '/responses', turn('openai/gpt-5.4'));
    await s.close();
    expect(r.status).toBe(200);
    expect(r.text).toContain('response.completed');
    const got = seen.slice(before);
    expect(got.map((x) => `${x.method} ${x.url}`)).toEqual(['POST /api/v1/responses']);
    expect(got[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(got[0]!.headers)).not.toContain('placeholder');
    expect(got[0]!.headers.host).toBe(`router.peers.test:${port}`);
    expect(JSON.stringify([...r.headers.entries()])).not.toContain(KEY);
  });

  test('every reply is metered under the provider\'s name; a model the price table does not know is priced at the most expensive row', async () => {
    const s = await sidecar();
    await post(s.url, '/responses', turn('openai/gpt-5.4'));
    await post(s.url, '/responses', turn('acme/unknown-model-7'));
    await s.close();
    const [known, unknown] = readLedger(s.ledger.path);
    expect(known).toMatchObject({ upstream: 'openrouter', path: '/responses', model: 'openai/gpt-5.4', input_tokens: 1000, output_tokens: 200, priced: 'table' });
    const rate = PRICE_TABLE['gpt-5.4']!;
    expect(known!.usd).toBeCloseTo((1000 * rate.input + 200 * rate.output) / 1e6, 8);
    expect(unknown).toMatchObject({ model: 'acme/unknown-model-7', priced: 'fallback' });
    expect(unknown!.usd).toBeCloseTo((1000 * FALLBACK_RATES.openai.input + 200 * FALLBACK_RATES.openai.output) / 1e6, 8);
    expect(unknown!.price_note).toContain('is not in the price table');
  });

  test('API paths no CLI needs are refused with 403 and never forwarded, whatever prefix the peer adds', async () => {
    const s = await sidecar();
    const before = seen.length;
    for (const path of ['/chat/completions', '/files', '/batches', '/api/v1/responses', '/v1/responses', '/responses/../files', '/credits']) {
      expect((await post(s.url, path, turn('openai/gpt-5.4'))).status, path).toBe(403);
    }
    await s.close();
    expect(seen.length).toBe(before);
  });

  test('the budget holds: a request the cap cannot cover is refused before anything goes out', async () => {
    const s = await sidecar({ maxUsd: 0.0001 });
    const before = seen.length;
    const r = await post(s.url, '/responses', turn('openai/gpt-5.4'));
    // A model the price table does not list has no bound on its cost: under a USD cap it is not sent at all.
    const unknown = await post(s.url, '/responses', turn('acme/unknown-model-7'));
    await s.close();
    expect(r.status).toBe(400);
    expect(r.headers.get('x-peers-budget')).toBe('exhausted');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-peers-budget')).toBe('model-not-priced');
    expect(seen.length).toBe(before);
  });

  // Attack: a PDF to a routed model with a window over 1M tokens (the router reads it to text) was
  // reserved at the first parties' 1M window and could bill up to the model's.
  test("a file to a routed model is reserved at the largest window a router's models serve: under a 2M-token cap it is not sent", async () => {
    const s = await sidecar({ maxTokens: 2_000_000 });
    const before = seen.length;
    const pdf = { model: 'google/gemini-2.5-pro', input: [{ role: 'user', content: [{ type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjcK' }] }], max_output_tokens: 1000 };
    const r = await post(s.url, '/responses', pdf);
    await s.close();
    expect(r.status).toBe(400);
    expect(r.headers.get('x-peers-budget')).toBe('exhausted');
    expect(seen.length).toBe(before);
  });

  test("the provider's host is served on the auth sidecar's listener only: the workspace's is refused", async () => {
    const connect = (socket: string) =>
      new Promise<string>((resolve) => {
        const c = net.connect(socket, () => c.write(`CONNECT router.peers.test:${port} HTTP/1.1\r\nHost: router.peers.test:${port}\r\n\r\n`));
        let got = '';
        c.on('data', (d) => {
          got += d;
          if (got.includes('\r\n\r\n')) {
            resolve(got.split('\r\n')[0]!);
            c.destroy();
          }
        });
      });
    expect(await connect(join(dir, 'workspace.sock'))).toMatch(/^HTTP\/1\.1 403/);
    expect(await connect(join(dir, 'vendor.sock'))).toMatch(/^HTTP\/1\.1 200/);
    expect(egress.listeners.find((l) => l.name === 'workspace')!.policy.entries.map((e) => e.pattern)).toEqual([]);
  });
});
