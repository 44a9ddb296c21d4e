/**
 * Attack: a block's `type` at the top of the body. The sidecar's walks skip a tool call's `input`
 * (`"type": "tool_use"`) and a replayed search's children (`"type": "web_search_call"`), and they
 * honoured either at the root: on a Responses body `input` is the whole prompt, so 30 inline
 * images went unreserved under a 1M-token cap (reserved 14 774 tokens, billed 1.4M), an image by
 * URL went out under any cap, and `"type": "web_search_call"` hid the body's own `tools` list (a
 * web search reserved at $0.02 under a $1 cap, billed $5). No API has a body-level `type`: such a
 * body is refused, cap or no cap, and the walks never take the root for a block.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { imageInput } from '../../../auth-proxy/usage/image-input.ts';
import { offBodyInput } from '../../../auth-proxy/usage/off-body-input.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** A 1×1 PNG: its size is what imageInput reads. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

let vendor: StandInVendor;
let reached = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, _body, res) => {
    reached++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-4o-mini', output: [], usage: { input_tokens: 10, output_tokens: 1 } }));
  });
});
afterAll(async () => vendor.close());

const responsesBody = (extra: Record<string, unknown>) => ({
  model: 'gpt-4o-mini',
  max_output_tokens: 10,
  input: [{ role: 'user', content: [{ type: 'input_text', text: 'describe' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG.toString('base64')}` }] }],
  ...extra,
});

test('a body with a type of its own is refused as the vendor would read it unjudged', () => {
  for (const type of ['tool_use', 'server_tool_use', 'mcp_tool_use', 'web_search_call', 'message']) {
    expect(offBodyInput(responsesBody({ type }), 'openai')).toContain('"type" at the top of the body');
    expect(offBodyInput({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [], type }, 'anthropic')).toContain('"type" at the top of the body');
  }
  expect(offBodyInput(responsesBody({}), 'openai')).toBeNull();
  // The images under the root are counted whatever the root says.
  expect(imageInput(responsesBody({ type: 'tool_use' }), 'openai', ['gpt-4o-mini']).images).toBe(1);
});

test('through the sidecar: refused before the vendor, with and without a cap', async () => {
  for (const caps of [{ maxTokens: 1_000_000 }, {}]) {
    const sc = await sidecarFor('openai', vendor.port, caps);
    try {
      reached = 0;
      const post = (b: unknown) => fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
      const masked = await post(responsesBody({ type: 'tool_use', tools: [{ type: 'web_search' }] }));
      expect(masked.status).toBe(400);
      await masked.text();
      expect(reached).toBe(0);
      // Control: the same body without it goes out (no tools: nothing reaches the web).
      const plain = await post(responsesBody({}));
      expect(plain.status).toBe(200);
      await plain.text();
      expect(reached).toBe(1);
    } finally {
      await sc.close();
    }
  }
});
