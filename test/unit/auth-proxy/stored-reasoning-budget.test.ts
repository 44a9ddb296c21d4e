/**
 * Attack: a reasoning item named by its id. With `store: true` (the Responses API's default) the
 * vendor keeps each reply's reasoning, and an input item `{"type": "reasoning", "id": "rs_…",
 * "summary": []}` without its `encrypted_content` is completed from that store ("Item with id
 * 'rs_…' not found. Items are not persisted when `store` is set to false" is what the API answers
 * when it cannot). The reasoning restored is billed as input: a peer that paid once for a long
 * chain of thought could replay it by id in every request, each reserved at its few bytes. Two such
 * items restoring 100k tokens each went out under a 150k-token cap, reserved at about 1.2k.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): under a cap, a
 * reasoning or compaction item that carries an id and none of its content (`encrypted_content`)
 * names stored input, refused before the vendor like `item_reference`.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** The stand-in's store: each reasoning item it restores by id is 100k tokens of input. */
const STORED_REASONING_TOKENS = 100_000;
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { input: { type?: string; id?: string; encrypted_content?: string }[] };
    const restored = doc.input.filter((i) => (i.type === 'reasoning' || i.type === 'compaction') && i.id && !i.encrypted_content).length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-5.4', output: [], usage: { input_tokens: 50 + restored * STORED_REASONING_TOKENS, output_tokens: 10, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

const ask = (items: Record<string, unknown>[]) => ({ model: 'gpt-5.4', max_output_tokens: 100, store: true, input: [...items, { role: 'user', content: 'go on' }] });
const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, text: await r.text() }));

test('reasoning items named by id alone are refused unsent under a 150k-token cap', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 150_000 });
  try {
    const r = await post(sc.s.url, ask([{ type: 'reasoning', id: 'rs_1', summary: [] }, { type: 'reasoning', id: 'rs_2', summary: [] }]));
    // Without the fix they went out, reserved at about 1.2k tokens, and were billed 200k.
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 400, forwarded: 0, spent: 0 });
    expect(r.text).toContain('peers_unbounded_input');
    const compaction = await post(sc.s.url, ask([{ type: 'compaction', id: 'cmp_1' }]));
    expect({ status: compaction.status, forwarded }).toEqual({ status: 400, forwarded: 0 });
  } finally {
    await sc.close();
  }
});

test('a reasoning item that carries its encrypted content (what Codex replays) goes out', async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 150_000 });
  try {
    const r = await post(sc.s.url, ask([{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAAABpF-opaque' }, { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }] }]));
    expect({ status: r.status, forwarded }).toEqual({ status: 200, forwarded: 1 });
  } finally {
    await sc.close();
  }
});
