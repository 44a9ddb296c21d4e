/**
 * Attack on the bill: an OpenAI request that names no service tier is billed at the tier its API
 * project is set to, which may be priority (up to 2.5 times the standard rate). The sidecar reserved
 * such a request at the standard rate, so under a USD cap it forwarded a request whose bill could
 * pass the cap by the difference (the reply is metered only once it is done).
 *
 * The rule (auth-proxy/usage/project-tier.ts; SECURITY.md, "Nothing unmetered"): a request leaving
 * its tier to the project is reserved at the tier the vendor last reported for such a request on
 * this upstream (the standard rate until one has). The stand-in vendor here plays a project whose
 * default tier the test sets, reporting it in each reply as OpenAI does.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { PRIORITY_TIER_FACTOR } from '../../../auth-proxy/usage/price-table.ts';
import { billsByProject, leavesTierToProject, projectTierAfter, reservationTier } from '../../../auth-proxy/usage/project-tier.ts';
import { requestFactsOf, worstCase } from '../../../auth-proxy/usage/request-cost.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type StandInVendor, sidecarFor, startStandInVendor } from './sidecar-fixture.ts';

let vendor: StandInVendor;
let projectDefault = 'priority';
let served = 0;
beforeAll(async () => {
  vendor = await startStandInVendor((_req, body, res) => {
    served++;
    const doc = JSON.parse(body.toString()) as { model: string; service_tier?: string };
    const tier = doc.service_tier && doc.service_tier !== 'auto' ? doc.service_tier : projectDefault;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response', model: doc.model, service_tier: tier, output: [], usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5 } }));
  });
});
afterAll(() => vendor.close());

const MODEL = 'gpt-5.4';
const SMALL = { model: MODEL, input: 'hi', max_output_tokens: 100 };
const LARGE = { model: MODEL, input: 'hi', max_output_tokens: 100_000 };
/** What the sidecar reserves for `doc` were it billed at the standard rate. */
const standard = (doc: Record<string, unknown>) => worstCase(requestFactsOf(doc, Buffer.byteLength(JSON.stringify(doc)), 'openai'), 'openai').usd;
/** Room for the large request at the standard rate, not at priority's. */
const CAP = () => 1.5 * standard(LARGE);

const send = async (url: string, doc: Record<string, unknown>) => {
  const r = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  return { status: r.status, text: await r.text() };
};

describe("a request that leaves its tier to the project's default", () => {
  test('a reply saying the project bills at priority makes the next such request reserved at priority: refused unsent under a cap that covers only the standard rate', async () => {
    projectDefault = 'priority';
    expect(PRIORITY_TIER_FACTOR * standard(LARGE)).toBeGreaterThan(CAP());
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: CAP() });
    try {
      // The small request fits at any tier; its reply tells the project's tier.
      expect((await send(sc.s.url, SMALL)).status).toBe(200);
      const before = served;
      for (const doc of [LARGE, { ...LARGE, service_tier: 'auto' }]) {
        const r = await send(sc.s.url, doc);
        expect(r.status).not.toBe(200);
        expect(r.text).toContain('budget');
      }
      expect(served).toBe(before);
      // Naming the standard tier itself leaves nothing to the project: it fits.
      expect((await send(sc.s.url, { ...LARGE, service_tier: 'default' })).status).toBe(200);
    } finally {
      await sc.close();
    }
  });

  test('once a reply says the project bills at the standard tier, the next such request is reserved at that rate and goes out', async () => {
    projectDefault = 'default';
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: CAP() });
    try {
      // The small request fits even at priority; its reply tells the project's tier.
      expect((await send(sc.s.url, SMALL)).status).toBe(200);
      expect((await send(sc.s.url, LARGE)).status).toBe(200);
      const lines = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      expect(lines.map((l) => l.service_tier)).toEqual(['default', 'default']);
    } finally {
      await sc.close();
    }
  });

  test('before any reply has said the tier, such a request is reserved at the standard rate (a first request is not refused for a premium the project may not have)', async () => {
    projectDefault = 'priority';
    const sc = await sidecarFor('openai', vendor.port, { maxUsd: CAP() });
    try {
      expect((await send(sc.s.url, LARGE)).status).toBe(200);
      const lines = readLedgerFile(sc.s.ledger.path).lines.filter(isReply);
      // Its reply is metered at the tier it reports.
      expect(lines.map((l) => l.service_tier)).toEqual(['priority']);
    } finally {
      await sc.close();
    }
  });

  test('the pure rule', () => {
    // Projects are the OpenAI API's: not a router's, not the ChatGPT backend's, not Anthropic's.
    expect(billsByProject({ id: 'openai' })).toBe(true);
    for (const u of [{ id: 'openai', routed: true }, { id: 'chatgpt' }, { id: 'anthropic' }, { id: 'openrouter', routed: true }]) expect(billsByProject(u)).toBe(false);
    expect(leavesTierToProject({}, true)).toBe(true);
    expect(leavesTierToProject({ serviceTier: 'auto' }, true)).toBe(true);
    expect(leavesTierToProject({ serviceTier: 'default' }, true)).toBe(false);
    expect(leavesTierToProject({}, false)).toBe(false);
    expect(reservationTier({}, true, undefined)).toBeUndefined();
    expect(reservationTier({ serviceTier: 'auto' }, true, undefined)).toBe('auto');
    expect(reservationTier({ serviceTier: 'auto' }, true, 'priority')).toBe('priority');
    expect(reservationTier({}, true, 'flex')).toBe('flex');
    expect(reservationTier({ serviceTier: 'flex' }, true, 'priority')).toBe('flex');
    expect(reservationTier({}, false, undefined)).toBeUndefined();
    // Only a reply to a request that left the tier to the project teaches it; a tier with no price
    // teaches it at the factor such a reply is metered at (6x), above priority and no cheaper than ultrafast.
    expect(projectTierAfter(undefined, {}, true, 'default')).toBe('default');
    expect(projectTierAfter('default', {}, true, 'priority')).toBe('priority');
    expect(projectTierAfter(undefined, { serviceTier: 'default' }, true, 'default')).toBeUndefined();
    expect(projectTierAfter('priority', {}, true, 'auto')).toBe('priority');
    expect(projectTierAfter('priority', {}, true, undefined)).toBe('priority');
    expect(projectTierAfter(undefined, {}, true, 'turbo')).toBe('turbo');
    expect(projectTierAfter('priority', {}, true, 'turbo')).toBe('turbo');
    expect(projectTierAfter('ultrafast', {}, true, 'turbo')).toBe('ultrafast');
    expect(projectTierAfter(undefined, {}, true, 'ultrafast')).toBe('ultrafast');
    expect(projectTierAfter(undefined, null, true, 'default')).toBeUndefined();
  });
});
