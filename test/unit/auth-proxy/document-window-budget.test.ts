/**
 * Attack: a PDF to a first-party model whose window is above a million tokens. A request carrying
 * an inline file is reserved as if its prompt filled the largest context window, taken to be 1M
 * tokens (Anthropic's 1M window); OpenAI's GPT-4.1, a row of the price table, takes 1,047,576
 * tokens, so a PDF of some 700 pages to it with a 16-token output cap could be billed 1,047,560
 * input tokens against a reservation of 1,000,016: one such request passed a 1.04M-token cap.
 *
 * The bound (SECURITY.md, "A request goes out only if the budget left covers it"): the file bound
 * is the largest window a first-party model of the table serves, 1,048,576 tokens.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { sidecarFor, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

/** GPT-4.1's context window: what a request's input and output together may fill. */
const GPT_41_WINDOW = 1_047_576;
const pages = Array.from({ length: 700 }, (_, i) => `${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n`).join('');
const PDF = Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count 700 >> endobj\n${pages}%%EOF\n`);

/** A stand-in OpenAI billing each PDF page as an image (1,600 tokens), up to what the model's window leaves beside the output cap. */
let vendor: StandInVendor;
let forwarded = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, raw, res) => {
    forwarded++;
    const doc = JSON.parse(raw.toString()) as { max_output_tokens: number; input: { content: { file_data?: string }[] }[] };
    const data = doc.input[0]!.content.find((p) => p.file_data)?.file_data ?? '';
    const file = Buffer.from(data.slice(data.indexOf(',') + 1), 'base64').toString('latin1');
    const input = Math.min(10 + 1600 * (file.match(/\/Type\s*\/Page\b/g)?.length ?? 0), GPT_41_WINDOW - doc.max_output_tokens);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: 'gpt-4.1', output: [], usage: { input_tokens: input, output_tokens: 16, input_tokens_details: { cached_tokens: 0 } } }));
  });
});
afterAll(() => vendor.close());
beforeEach(() => {
  forwarded = 0;
});

test("a PDF to GPT-4.1 is reserved at its window, above 1M: refused unsent under a 1.04M-token cap", async () => {
  const sc = await sidecarFor('openai', vendor.port, { maxTokens: 1_040_000 });
  try {
    const body = { model: 'gpt-4.1', max_output_tokens: 16, input: [{ role: 'user', content: [{ type: 'input_file', filename: 'big.pdf', file_data: `data:application/pdf;base64,${PDF.toString('base64')}` }, { type: 'input_text', text: 'summarise it' }] }] };
    const r = await fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await r.text();
    // Without the fix it went out, reserved at 1,000,016 tokens, and was billed 1,047,576.
    expect({ status: r.status, forwarded, spent: sc.s.ledger.totals.tokens }).toEqual({ status: 400, forwarded: 0, spent: 0 });
  } finally {
    await sc.close();
  }
});
