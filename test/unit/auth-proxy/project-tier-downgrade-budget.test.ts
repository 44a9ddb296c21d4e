/**
 * Attack on the bill: make the sidecar forget the project bills at priority. A request naming no
 * tier was reserved at the tier the last such reply reported (project-tier.ts). OpenAI serves
 * some of a Fast/priority project's requests at the standard tier when its traffic ramps too fast,
 * and says so in those replies, so a peer that flooded the project got a reply saying `default`,
 * and the sidecar then reserved the next requests at 1x while the project went on billing them at
 * 2.5x: one such request spent past a cap its reservation fitted.
 *
 * The rule (SECURITY.md, "A request that leaves its tier to the project …"): the project's tier
 * for reservations is the dearest any such reply has reported, never lowered by a reply served
 * cheaper for a while.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { PRIORITY_TIER_FACTOR } from '../../../auth-proxy/usage/price-table.ts';
import { requestFactsOf, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

/** The tier each reply reports, in order: the project's priority, then one served at the standard tier under load. */
const tiers: string[] = [];
let billed = 0;
let vendor: StandInVendor;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    const doc = JSON.parse(body.toString()) as { model: string; max_output_tokens: number };
    const tier = tiers.shift() ?? 'priority';
    billed += ((body.length * 2.5 + doc.max_output_tokens * 15) / 1e6) * (tier === 'priority' ? PRIORITY_TIER_FACTOR : 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: tier, output: [], usage: { input_tokens: body.length, input_tokens_details: { cached_tokens: 0 }, output_tokens: doc.max_output_tokens } }));
  });
});
afterAll(() => vendor.close());

const SMALL = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 100 };
const LARGE = { model: 'gpt-5.4', input: 'hi', max_output_tokens: 100_000 };
const standard = (doc: Record<string, unknown>) => worstCase(requestFactsOf(doc, Buffer.byteLength(JSON.stringify(doc)), 'openai'), 'openai').usd;
const send = async (url: string, doc: Record<string, unknown>) => {
  const r = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  await r.text();
  return r.status;
};

test('a reply served at the standard tier for a while does not make a priority project\'s requests reserved at 1x', async () => {
  tiers.splice(0, tiers.length, 'priority', 'default');
  billed = 0;
  // Room for the two small ones at priority and the large one at the standard rate only.
  const cap = 2 * PRIORITY_TIER_FACTOR * standard(SMALL) + 1.5 * standard(LARGE);
  const sc = await sidecarFor('openai', vendor.port, { maxUsd: cap });
  try {
    expect(await send(sc.s.url, SMALL)).toBe(200); // the project bills at priority
    expect(await send(sc.s.url, SMALL)).toBe(200); // served at the standard tier, under load
    // Before: reserved at 1x, it went out and was billed at priority, past the cap.
    expect(await send(sc.s.url, LARGE)).not.toBe(200);
    expect(billed).toBeLessThanOrEqual(cap);
  } finally {
    await sc.close();
  }
});
