/**
 * The auth sidecar records what a vendor's 429 says (which limit, until when) in the usage ledger,
 * where the loop reads it to put the limited peer to sleep; the client still gets the vendor's
 * reply unchanged. Real sockets: sidecar → egress proxy → the scripted model server, which answers
 * as the vendors do (Anthropic's unified rate-limit headers, Codex's usage_limit_reached body).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { isLimited, readLedgerFile, totalsOf, UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { readLedgerSpend } from '../../../src/budget/ledger-spend.ts';
import { RunLedger } from '../../../src/loop/shell/run-ledger.ts';
import { startModelServer, type ModelServerHandle } from '../../../src/model-server/server.ts';
import { ScenarioSchema } from '../../../src/model-server/scenario-schema.ts';
import { call, type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';

let server: ModelServerHandle;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
let ledger: UsageLedger;
/** Turn requests (with tools: the model server answers tool-less calls as auxiliary ones, on either API). */
const RESPONSES_TURN = { model: 'gpt-5.5', input: 'hi', stream: true, tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }] };
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object' } }] };

beforeAll(async () => {
  server = startModelServer({
    scenario: ScenarioSchema.parse({
      version: 1,
      peers: {
        claude: { api: 'anthropic', ticks: [{ replies: [{ fault: { kind: 'usage_limit', resets_in_s: 7200, retry_after_s: 7200 } }, { fault: { kind: 'rate_limit', retry_after_s: 3 } }, { text: 'ok', usage: { input_tokens: 10, output_tokens: 5 } }] }] },
        codex: { api: 'responses', ticks: [{ replies: [{ fault: { kind: 'usage_limit', resets_in_s: 5400 } }] }] },
      },
    }),
  });
  const port = Number(new URL(server.url!).port);
  egress = await startEgress(port);
  ledger = new UsageLedger(join(egress.dir, 'usage.jsonl'));
  anthropic = await startSidecar({ egress, vendorPort: port, credentials: new ApiKeySource('x-api-key', 'sk-ant-limit-test-0000'), ledger });
  openai = await startSidecar({ egress, vendorPort: port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-limit-test-openai-00'), ledger });
});

afterAll(async () => {
  await anthropic?.close();
  await openai?.close();
  await egress?.close();
  await server?.stop();
});

test("a vendor's usage-limit 429 reaches the client unchanged and is recorded with its reset; spend is untouched", async () => {
  const loop = new RunLedger(ledger.path);
  loop.readOrThrowInput();
  const t0 = Date.now();
  const r = await call(anthropic.url, '/v1/messages', { body: MESSAGE });
  expect(r.status).toBe(429);
  expect(r.headers.get('anthropic-ratelimit-unified-status')).toBe('rejected');
  expect(JSON.parse(r.text).error.type).toBe('rate_limit_error');
  const x = await call(openai.url, '/v1/responses', { body: RESPONSES_TURN });
  expect(x.status).toBe(429);
  expect(JSON.parse(x.text).error.type).toBe('usage_limit_reached');

  const lines = readLedgerFile(ledger.path).lines.filter(isLimited);
  expect(lines.map((l) => [l.upstream, l.limit, l.source, l.status])).toEqual([
    ['anthropic', 'usage', 'anthropic-ratelimit-unified-reset', 429],
    ['openai', 'usage', 'error.resets_at', 429],
  ]);
  const resetIn = (l: (typeof lines)[number]) => Date.parse(l.reset_at!) - t0;
  expect(resetIn(lines[0]!)).toBeGreaterThan(7_195_000);
  expect(resetIn(lines[0]!)).toBeLessThan(7_205_000);
  expect(resetIn(lines[1]!)).toBeGreaterThan(5_395_000);
  expect(resetIn(lines[1]!)).toBeLessThan(5_405_000);
  expect(anthropic.logs.some((l) => /429 usage limit until .* \(anthropic-ratelimit-unified-reset\)/.test(l))).toBe(true);
  // A limit costs nothing and is no reply.
  expect(totalsOf(readLedgerFile(ledger.path).lines)).toEqual({ replies: 0, tokens: 0, usd: 0 });
  // The loop reads the turn's limits as the ledger's growth across the turn.
  const turn = await loop.turnSpend();
  expect(turn?.limits.map((l) => l.upstream)).toEqual(['anthropic', 'openai']);
  expect(turn?.tokens).toBe(0);
});

test('an ordinary rate limit is recorded as one; a good reply adds no limit line', async () => {
  const r = await call(anthropic.url, '/v1/messages', { body: MESSAGE });
  expect(r.status).toBe(429);
  const ok = await call(anthropic.url, '/v1/messages', { body: MESSAGE });
  expect(ok.status).toBe(200);
  const spend = readLedgerSpend(ledger.path)!;
  expect(spend.limits).toBe(3);
  expect(spend.recentLimits.at(-1)).toMatchObject({ upstream: 'anthropic', limit: 'rate', source: 'retry-after' });
  expect(spend.replies).toBe(1);
});
