/**
 * Attack: hang up on a stream before its usage arrives, with a prompt that is dear in tokens per
 * byte. A Responses stream states its usage only in its last event, so a reply cut short was
 * charged its input as the request's bytes / 4 — but the vendor bills what its tokenizer makes of
 * the prompt, and text a peer chooses (punctuation that does not merge, one token per byte or
 * close) was billed up to four times what the ledger counted, every time: a peer sending a large
 * prompt with a small output cap and hanging up after the first event spent the cap several times
 * over.
 *
 * The bound (SECURITY.md, "Nothing unmetered"): a reply cut short before the vendor stated its
 * input is charged the input side of its reservation (every body byte as a token, the vendor's
 * overhead, the inline images' bound), the most that input can be billed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { PROMPT_OVERHEAD_TOKENS } from '../../../auth-proxy/usage/request-cost.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { waitFor } from '../../wait-for.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

const held: { end(): void }[] = [];
let vendor: StandInVendor;
beforeAll(async () => {
  // Sends the stream's first event and holds the rest: the vendor is processing (and billing) the prompt.
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { model: doc.model } })}\n\n`);
    held.push(res);
  });
});
afterAll(async () => {
  for (const r of held) r.end();
  await vendor.close();
});

describe('a stream hung up on before its usage is charged its input at the reservation\'s bound', () => {
  test('a 200 KB prompt of one-byte tokens: the ledger charges at least what the vendor bills for it', async () => {
    const sc = await sidecarFor('openai', vendor.port, { maxTokens: 10_000_000 });
    try {
      const prompt = '}~'.repeat(100_000); // about one token per byte for a BPE tokenizer
      const body = JSON.stringify({ model: 'gpt-5.4', input: prompt, max_output_tokens: 16, stream: true });
      const ac = new AbortController();
      const r = await fetch(`${sc.s.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ac.signal });
      expect(r.status).toBe(200);
      await r.body!.getReader().read();
      ac.abort();
      await waitFor('the ledger line of the stream hung up on', () => readLedgerFile(sc.s.ledger.path).lines.some(isReply));
      const [line] = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(line!.cut_short).toBe('client-abort');
      expect(line!.estimated).toContain('input');
      expect(line!.input_tokens).toBe(Buffer.byteLength(body) + PROMPT_OVERHEAD_TOKENS);
      expect(line!.output_tokens).toBe(16);
    } finally {
      await sc.close();
    }
  });
});
