/**
 * Attack: a request whose body is small but which the vendor bills for input the body does not
 * carry, or for many sampling passes: a stored conversation named by id, a server-side tool (web
 * search, web fetch, code execution, remote MCP, file search…), a file or image named by id or
 * URL, a container, server-side compaction. The budget reserved on the body alone, so each such
 * request fit the cap and the vendor billed far more: one request at a $1 cap spent $2.50.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): under a cap
 * (tokens or USD) such a request is refused before it goes out, in the CLI's budget refusal shape
 * (Anthropic 402 `billing_error`, OpenAI 400 `peers_unbounded_input`), with no `refused` ledger
 * line (the cap is not spent); without a cap it goes out and is metered as usual. The stand-in
 * vendor bills what the real one would: 1M input tokens for the stored or fetched input.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { isRefusal, isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let port: number;
let seen: string[] = [];

/** What the vendor bills for the input it fetched or kept, beside what the body carried. */
const OFF_BODY_INPUT_TOKENS = 1_000_000;

beforeAll(async () => {
  vendor = await startStandInVendor((req, raw, res) => {
    const body = raw.toString('utf8');
    seen.push(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    const usage = { input_tokens: OFF_BODY_INPUT_TOKENS, output_tokens: 50 };
    if (req.url?.endsWith('/messages')) return res.end(JSON.stringify({ type: 'message', model: 'claude-sonnet-4-5', content: [], usage: { ...usage, server_tool_use: { web_search_requests: 8 } } }));
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { ...usage, input_tokens_details: { cached_tokens: 0 } } }));
  });
  port = vendor.port;
});
afterAll(() => vendor.close());
beforeEach(() => {
  seen = [];
});

const messages = (extra: Record<string, unknown>, content: unknown = 'go') => ({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content }], ...extra });
const responses = (extra: Record<string, unknown>, input: unknown = 'go') => ({ model: 'gpt-5.4', max_output_tokens: 1000, input, ...extra });
const userImage = (image_url: string) => [{ role: 'user', content: [{ type: 'input_image', image_url }] }];

/** Anthropic bodies the vendor bills beyond: name → body. */
const ANTHROPIC_ATTACKS: Record<string, unknown> = {
  'web search (Claude Code WebSearch\'s own request)': messages({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 8 }], tool_choice: { type: 'tool', name: 'web_search' } }),
  'web fetch': messages({ tools: [{ type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 50 }] }),
  'code execution': messages({ tools: [{ type: 'code_execution_20250825', name: 'code_execution' }] }),
  'tool search (server-side loop)': messages({ tools: [{ type: 'tool_search_tool_regex_20251119', name: 'tool_search' }] }),
  'a server tool of a type peers does not know': messages({ tools: [{ name: 'Bash', input_schema: { type: 'object' } }, { type: 'advisor_20991231', name: 'advisor' }] }),
  'remote MCP servers': messages({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] }),
  'a container with its files': messages({ container: 'container_011CQUeA' }),
  'server-side compaction': messages({ context_management: { edits: [{ type: 'compact_20260112' }] } }),
  'a PDF by URL': messages({}, [{ type: 'document', source: { type: 'url', url: 'https://example.com/huge.pdf' } }, { type: 'text', text: 'summarize' }]),
  'a document by file id': messages({}, [{ type: 'document', source: { type: 'file', file_id: 'file_011CNha8' } }]),
  'an image by URL': messages({}, [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }]),
  'a container upload': messages({}, [{ type: 'container_upload', file_id: 'file_011CNha8' }]),
  'a router\'s web plugin (OpenRouter)': messages({ plugins: [{ id: 'web', max_results: 10 }] }),
};

/** OpenAI Responses bodies the vendor bills beyond. */
const OPENAI_ATTACKS: Record<string, unknown> = {
  'previous_response_id': responses({ previous_response_id: 'resp_68af4030592c81938ec0a5fbab4a3e9f' }),
  'conversation': responses({ conversation: 'conv_689667905b048191b4740501625afd940c7533ace33a2dab' }),
  'a stored prompt template': responses({ prompt: { id: 'pmpt_abc123', version: '2' } }),
  'an item_reference input item': responses({}, [{ type: 'item_reference', id: 'msg_abc' }, { role: 'user', content: 'go on' }]),
  'web search': responses({ tools: [{ type: 'web_search' }] }),
  'file search': responses({ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }),
  'code interpreter': responses({ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }),
  'remote MCP': responses({ tools: [{ type: 'mcp', server_label: 'x', server_url: 'https://mcp.example.com', require_approval: 'never' }] }),
  'image generation': responses({ tools: [{ type: 'image_generation' }] }),
  'tool search run by the vendor': responses({ tools: [{ type: 'tool_search', execution: 'server' }, { type: 'function', name: 'f', defer_loading: true, parameters: { type: 'object' } }] }),
  'web search hidden in Codex\'s additional_tools namespace': responses({}, [{ type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }, { type: 'web_search' }] }] }, { role: 'user', content: 'go' }]),
  'a file by id': responses({}, [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-abc' }] }]),
  'a file by URL': responses({}, [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/huge.pdf' }] }]),
  'an image by URL': responses({}, userImage('https://example.com/a.png')),
  'server-side compaction': responses({ context_management: [{ type: 'compaction', compact_threshold: 1000 }] }),
  'a router\'s :online model (OpenRouter web search)': responses({ model: 'gpt-5.4', models: ['openai/gpt-5.4:online'] }),
  'web_search_options': responses({ web_search_options: { search_context_size: 'high' } }),
};

/** The attacks that make the vendor reach the web or a remote server: refused with or without a cap. */
const REACHES = new Set([
  "web search (Claude Code WebSearch's own request)", 'web fetch', 'code execution', 'tool search (server-side loop)', 'a server tool of a type peers does not know',
  'remote MCP servers', 'a PDF by URL', 'an image by URL', "a router's web plugin (OpenRouter)", 'web search', 'file search', 'code interpreter', 'remote MCP',
  'image generation', 'tool search run by the vendor', "web search hidden in Codex's additional_tools namespace", 'a file by URL',
  "a router's :online model (OpenRouter web search)", 'web_search_options',
]);

const post = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('a request billed for input its body does not carry', () => {
  for (const [vendor, attacks, path] of [['anthropic', ANTHROPIC_ATTACKS, '/v1/messages'], ['openai', OPENAI_ATTACKS, '/v1/responses']] as const) {
    test(`${vendor}: under a USD cap each is refused before it goes out, so one cannot spend past the cap`, async () => {
      const { s, close } = await sidecarFor(vendor, port, { maxUsd: 1 }, 'sk-offbody-000000000');
      for (const [name, body] of Object.entries(attacks)) {
        const r = await post(s.url, path, body);
        if (vendor === 'anthropic') {
          expect([name, r.status, JSON.parse(r.text).error.type]).toEqual([name, 402, 'billing_error']);
        } else {
          expect([name, r.status, JSON.parse(r.text).error.code]).toEqual([name, 400, REACHES.has(name) ? 'peers_vendor_reach' : 'peers_unbounded_input']);
        }
        expect(JSON.parse(r.text).error.message, name).toContain(REACHES.has(name) ? "outside the run's egress allow-list" : 'not bounded by its body');
      }
      expect(seen).toHaveLength(0);
      // Nothing was spent and the cap is not marked spent: the loop does not stop the run for it.
      const lines = readLedgerFile(s.ledger.path).lines;
      expect([lines.filter(isReply).length, lines.filter(isRefusal).length]).toEqual([0, 0]);
      expect(s.ledger.totals.usd).toBeLessThanOrEqual(1);
      await close();
    }, 30_000);

    test(`${vendor}: under a token cap too${vendor === 'openai' ? ', also on /responses/compact' : ''}`, async () => {
      const { s, close } = await sidecarFor(vendor, port, { maxTokens: 500_000 }, 'sk-offbody-000000000');
      for (const [name, body] of Object.entries(attacks)) expect([name, (await post(s.url, path, body)).status]).toEqual([name, vendor === 'anthropic' ? 402 : 400]);
      if (vendor === 'openai') expect((await post(s.url, '/v1/responses/compact', OPENAI_ATTACKS.previous_response_id)).status).toBe(400);
      expect(seen).toHaveLength(0);
      expect(s.ledger.totals.tokens).toBe(0);
      await close();
    }, 30_000);
  }

  test('without a cap, every request that makes the vendor reach the web or a remote server is refused all the same: the egress allow-list holds on the vendor\'s side', async () => {
    for (const [vendor, attacks, path] of [['anthropic', ANTHROPIC_ATTACKS, '/v1/messages'], ['openai', OPENAI_ATTACKS, '/v1/responses']] as const) {
      const { s, close } = await sidecarFor(vendor, port, {}, 'sk-offbody-000000000');
      const reaching = Object.entries(attacks).filter(([name]) => REACHES.has(name));
      expect(reaching.length).toBeGreaterThan(8);
      for (const [name, body] of reaching) {
        const r = await post(s.url, path, body);
        expect([name, r.status]).toEqual([name, vendor === 'anthropic' ? 402 : 400]);
        expect(JSON.parse(r.text).error.message, name).toContain("outside the run's egress allow-list");
      }
      expect(seen).toHaveLength(0);
      await close();
    }
  }, 30_000);

  test('without a cap the others (stored input, files by id, compaction) go out and are metered at what the vendor billed', async () => {
    const { s, close } = await sidecarFor('openai', port, {}, 'sk-offbody-000000000');
    const r = await post(s.url, '/v1/responses', OPENAI_ATTACKS.previous_response_id);
    expect(r.status).toBe(200);
    expect(s.ledger.totals.tokens).toBe(OFF_BODY_INPUT_TOKENS + 50);
    await close();
  }, 30_000);

  test('what the CLIs send every turn still goes out under a cap: client tools, Codex\'s namespaced tools, images inline, thinking cleared', async () => {
    const a = await sidecarFor('anthropic', port, { maxUsd: 50 }, 'sk-offbody-000000000');
    const claudeTurn = messages(
      { tools: [{ name: 'Bash', description: 'd', input_schema: { type: 'object', properties: { file_id: { type: 'string' }, tools: { type: 'array' } } } }, { name: 'Deferred', description: 'd', input_schema: { type: 'object' }, defer_loading: true }, { type: 'bash_20250124', name: 'bash' }], context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] }, thinking: { type: 'adaptive' } },
      [{ type: 'text', text: 'look', cache_control: { type: 'ephemeral' } }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' } }],
    );
    expect((await post(a.s.url, '/v1/messages', claudeTurn)).status).toBe(200);
    await a.close();
    const o = await sidecarFor('openai', port, { maxUsd: 50 }, 'sk-offbody-000000000');
    const codexTurn = responses({ store: false, include: ['reasoning.encrypted_content'], reasoning: { effort: 'low' }, tools: [{ type: 'local_shell' }, { type: 'tool_search', execution: 'client', description: 'd', parameters: { type: 'object' } }] }, [
      { type: 'additional_tools', role: 'developer', tools: [{ type: 'namespace', name: 'functions', tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { image_url: { type: 'string' } } } }, { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } }] }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'see https://example.com' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' }] },
    ]);
    expect((await post(o.s.url, '/v1/responses', codexTurn)).status).toBe(200);
    await o.close();
    expect(seen).toHaveLength(2);
  }, 30_000);
});
