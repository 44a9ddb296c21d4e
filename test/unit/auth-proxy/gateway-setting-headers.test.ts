/**
 * Attack: request headers that carry a gateway's settings, sent to a `provider:` upstream. A
 * provider may be a gateway (Portkey, Cloudflare AI Gateway, Helicone, LiteLLM, OpenRouter) that
 * reads settings from headers as well as the body: Portkey's `x-portkey-config` (a whole config:
 * another model, retries, fallbacks), Cloudflare's `cf-aig-max-attempts`, Helicone's
 * `helicone-retry-enabled` and `helicone-fallbacks`, LiteLLM's `x-litellm-num-retries`. Each retry
 * or fallback is billed by the backend behind the gateway against the one reservation the sidecar
 * made, and a model named there is one the budget never priced. Every header but credentials,
 * hop-by-hop and routing overrides was forwarded, so a peer could set any of them.
 *
 * The bound (SECURITY.md, "Providers … are one more upstream"): a provider gets only the request
 * headers the real CLIs send (ROUTED_REQUEST_HEADERS in auth-proxy/credential-headers.ts; proved
 * complete for them by real-cli-provider-headers.test.ts); every other header is dropped.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type http from 'node:http';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS, type UpstreamSpec } from '../../../auth-proxy/upstreams.ts';
import { billedReply, type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let egress: Egress;
let heard: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  vendor = await startStandInVendor((req, _raw, res) => {
    heard.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(billedReply(req.url ?? '', { input_tokens: 10, output_tokens: 10 }));
  });
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

/** Gateway settings a peer could add, by gateway; each changes what is billed or which model serves. */
const GATEWAY_SETTINGS: Record<string, string> = {
  'x-portkey-config': JSON.stringify({ retry: { attempts: 5 }, override_params: { model: 'gpt-5.4-pro' } }),
  'x-portkey-retry-count': '5',
  'cf-aig-max-attempts': '5',
  'cf-aig-request-timeout': '1',
  'cf-aig-skip-cache': 'true',
  'helicone-retry-enabled': 'true',
  'helicone-retry-num': '5',
  'helicone-fallbacks': '["openai/gpt-5.4-pro"]',
  'x-litellm-num-retries': '5',
  'x-litellm-timeout': '1',
  'x-openrouter-provider': 'expensive-provider',
  'x-some-future-gateway-setting': 'retries=9',
};

const cases: Array<{ upstream: UpstreamSpec; path: string; body: unknown; cli: Record<string, string> }> = [
  {
    upstream: { ...UPSTREAMS.openai, id: 'router', routed: true },
    path: '/v1/responses',
    body: { model: 'openai/gpt-5.4', input: 'hi', max_output_tokens: 100 },
    cli: { originator: 'codex_exec', 'session-id': 's1', 'x-codex-window-id': 's1:0', 'user-agent': 'codex_exec/0.169.0' },
  },
  {
    upstream: { ...UPSTREAMS.anthropic, id: 'messages', routed: true },
    path: '/v1/messages',
    body: { model: 'anthropic/claude-sonnet-4.5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] },
    cli: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219', 'x-app': 'cli', 'x-stainless-retry-count': '0' },
  },
];

for (const c of cases) {
  test(`no gateway setting in a header reaches a provider (${c.upstream.id}, ${c.path}); what the CLIs send does`, async () => {
    heard = [];
    const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: c.upstream, credentials: new ApiKeySource(c.upstream.errorShape === 'anthropic' ? 'x-api-key' : 'authorization', 'sk-provider-0000000000'), caps: { maxTokens: 1_000_000 }, ledgerPath: `${egress.dir}/usage-${c.upstream.id}.jsonl` });
    try {
      const r = await fetch(`${s.url}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.cli, ...GATEWAY_SETTINGS }, body: JSON.stringify(c.body) });
      await r.text();
      expect(r.status).toBe(200);
    } finally {
      await s.close();
    }
    expect(heard.length).toBe(1);
    const got = heard[0]!;
    expect(Object.keys(GATEWAY_SETTINGS).filter((h) => got[h] !== undefined)).toEqual([]);
    for (const [h, v] of Object.entries(c.cli)) expect(got[h]).toBe(v);
    expect(got['content-type']).toBe('application/json');
  });
}

test('a first-party vendor upstream still gets the headers it was given (the allow-list is for providers)', async () => {
  heard = [];
  const s = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.anthropic, credentials: new ApiKeySource('x-api-key', 'sk-ant-0000000000') });
  try {
    const r = await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-new-claude-code-header': '1' }, body: JSON.stringify(cases[1]!.body) });
    await r.text();
  } finally {
    await s.close();
  }
  expect(heard[0]!['x-new-claude-code-header']).toBe('1');
});
