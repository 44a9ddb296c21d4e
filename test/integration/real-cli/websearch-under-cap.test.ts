/**
 * The real Claude Code's WebSearch tool under a budget cap, through the auth sidecar (SECURITY.md,
 * "A request goes out only if the budget left covers it"). WebSearch makes a request of its own
 * with Anthropic's `web_search_20250305` server tool, whose results the vendor bills as input no
 * reservation bounds, so under a cap the sidecar refuses it. What a user would notice: the search
 * fails as a tool error, the turn goes on to its end, the CLI exits 0, nothing unmetered goes out.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { isRefusal, isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import type { ModelServerHandle } from '../../../src/model-server/server.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from '../../unit/auth-proxy/sidecar-fixture.ts';
import { ensureTestUser, makeRepo, removeDir, runClaude, startServer } from './harness.ts';
import { requires } from '../../requirements.ts';

const need = requires('claude');
setDefaultTimeout(120_000);

let server: ModelServerHandle;
let egress: Egress;
let sidecar: Sidecar;
let repo: string;

beforeAll(async () => {
  if (!need.ok) return;
  ensureTestUser();
  repo = makeRepo();
  server = startServer({
    version: 1,
    peers: {
      claude: {
        api: 'anthropic',
        ticks: [{
          name: 'search',
          replies: [
            // WebSearch is a deferred tool: loaded through ToolSearch first, as the model would.
            { tool_calls: [{ tool: { name: 'ToolSearch', input: { query: 'select:WebSearch', max_results: 1 } } }], usage: { input_tokens: 100, output_tokens: 10 } },
            { tool_calls: [{ tool: { name: 'WebSearch', input: { query: 'peers budget cap' } } }], usage: { input_tokens: 120, output_tokens: 10 } },
            { text: 'The search was refused; carrying on without it.', usage: { input_tokens: 140, output_tokens: 12 } },
          ],
        }],
      },
    },
  });
  egress = await startEgress(Number(new URL(server.url!).port));
  sidecar = await startSidecar({ egress, vendorPort: Number(new URL(server.url!).port), credentials: new ApiKeySource('x-api-key', 'sk-ant-websearch-000000'), caps: { maxUsd: 50 } });
});

afterAll(async () => {
  if (!need.ok) return;
  await sidecar?.close();
  await egress?.close();
  await server?.stop();
  removeDir(repo);
});

test.skipIf(!need.ok)('claude\'s WebSearch is refused (the vendor reaches nothing for a peer) as a tool error, and the turn ends normally', async () => {
  const run = await runClaude({ url: sidecar.url } as ModelServerHandle, 'claude', { cwd: repo, extraArgs: ['--model', 'claude-opus-5-5'] });
  const logs = sidecar.logs.join('\n');
  expect(run.exitCode, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}\n${logs}`).toBe(0);
  // The search request itself never went out; the turn's own requests did.
  expect(logs).toContain('402 refused: peers_vendor_reach');
  const lines = readLedgerFile(sidecar.ledger.path).lines;
  expect(lines.filter(isRefusal)).toHaveLength(0);
  expect(lines.filter(isReply).length).toBeGreaterThanOrEqual(3);
  // The refusal reached the model as the tool's result.
  expect(run.stdout).toContain("outside the run's egress allow-list");
});
