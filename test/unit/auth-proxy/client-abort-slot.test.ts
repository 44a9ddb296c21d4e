/**
 * Attack: a peer opens requests and hangs up on each before the vendor answers. The sidecar freed
 * the request's slot when the client went, while the request went on upstream (a non-streamed
 * reply sends nothing until it is done), so a peer that hung up again and again ran more requests
 * at the vendor at once than the in-flight limit allows, and the overshoot bound (at most 64
 * requests in flight) did not hold.
 *
 * The bound (SECURITY.md, "Limits"): a request's slot, like its reservation, is held until its
 * upstream exchange has ended, and the reply it hung up on is still metered.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type http from 'node:http';
import { connect } from 'node:net';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { isReply, readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { billedReply, type Egress, startEgress, startSidecar, type StandInVendor, startStandInVendor } from './sidecar-fixture.ts';

const held: { url: string; res: http.ServerResponse }[] = [];
let vendor: StandInVendor;
let egress: Egress;
beforeAll(async () => {
  // The vendor sits on every request (generating a long non-streamed reply) until the test lets it answer.
  vendor = await startStandInVendor((req, _body, res) => void held.push({ url: req.url!, res }));
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await Bun.sleep(5);
  expect(what()).toBe(true);
};
const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] });

test('a request the client hung up on keeps its slot until the vendor has answered, and is metered', async () => {
  const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps: { maxUsd: 100 }, limits: { maxConcurrent: 2 } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const abort = new AbortController();
      const before = held.length;
      const reply = fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal })
        .then(async (r) => void statuses.push(r.status, (await r.text()).length))
        .catch(() => {});
      // Either the vendor has it, or the sidecar answered (busy).
      await until(() => held.length > before || statuses.length > 0);
      if (held.length > before) abort.abort();
      await reply;
      statuses.length = 0;
    }
    // Only as many requests as the limit allows reached the vendor at once; on main all 5 did.
    expect(held.length).toBe(2);
    for (const h of held.splice(0)) {
      h.res.writeHead(200, { 'content-type': 'application/json' });
      h.res.end(billedReply(h.url, { input_tokens: 10, output_tokens: 20 }));
    }
    // Each reply hung up on is on the ledger, and its slot and reservation are free again.
    await until(() => readLedgerFile(s.ledger.path).lines.filter(isReply).length === 2);
    const ok = fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await until(() => held.length === 1);
    held[0]!.res.writeHead(200, { 'content-type': 'application/json' });
    held.splice(0)[0]!.res.end(billedReply('/v1/messages', { input_tokens: 10, output_tokens: 20 }));
    const reply = await ok;
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain('"usage"');
  } finally {
    for (const h of held.splice(0)) h.res.destroy();
    await s.close();
  }
});


test('the in-flight limit is the sidecar\'s, over every upstream together, not one per port', async () => {
  const slots = { active: 0 };
  const open = () => startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps: { maxUsd: 100 }, limits: { maxConcurrent: 2 }, slots });
  const [a, b] = [await open(), await open()];
  try {
    const send = (url: string) => fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const first = [send(a.url), send(a.url)];
    await until(() => held.length === 2);
    // Before: each port had its own 64, so three upstreams and a provider ran 256 requests at once.
    let third = 0;
    void send(b.url).then(async (r) => void (await r.text(), (third = r.status)));
    await until(() => third !== 0 || held.length === 3);
    expect(held.length).toBe(2);
    expect(third).toBe(503);
    for (const h of held.splice(0)) {
      h.res.writeHead(200, { 'content-type': 'application/json' });
      h.res.end(billedReply(h.url, { input_tokens: 10, output_tokens: 20 }));
    }
    for (const r of await Promise.all(first)) expect((await r.text()).length).toBeGreaterThan(0);
  } finally {
    for (const h of held.splice(0)) h.res.destroy();
    await a.close();
    await b.close();
  }
});

test('a request whose announced body never comes gives its slot back at the deadline', async () => {
  const slots = { active: 0 };
  const s = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-test-0000000000'), caps: { maxUsd: 100 }, limits: { maxConcurrent: 1 }, slots, clientLimits: { headTimeoutMs: 300 } });
  const silent = connect(Number(new URL(s.url).port), '127.0.0.1');
  silent.on('error', () => {});
  try {
    // The head announces a body, which never comes: the request holds the sidecar's only slot.
    silent.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    await until(() => slots.active === 1);
    const busy = await fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(busy.status).toBe(503);
    await busy.text();
    // Before: the head's timer was cleared and no body timer set, so the slot was held for ever.
    const dropped = await new Promise<boolean>((r) => {
      const t = setTimeout(() => r(false), 3000);
      silent.once('close', () => (clearTimeout(t), r(true)));
    });
    expect(dropped).toBe(true);
    const ok = fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await until(() => held.length === 1);
    held[0]!.res.writeHead(200, { 'content-type': 'application/json' });
    held.splice(0)[0]!.res.end(billedReply('/v1/messages', { input_tokens: 10, output_tokens: 20 }));
    expect((await ok).status).toBe(200);
  } finally {
    silent.destroy();
    for (const h of held.splice(0)) h.res.destroy();
    await s.close();
  }
});
