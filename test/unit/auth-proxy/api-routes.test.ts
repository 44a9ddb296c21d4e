/**
 * Attack: a peer uses the sidecar's real key for something other than a metered model turn —
 * message batches, file uploads, fine-tuning, admin and usage endpoints, or any path the sidecar
 * does not know — which would spend money (or reach data) the usage meter never sees. Only the
 * listed paths go through; everything else is answered 403 in the vendor's error shape, never
 * reaches the vendor, and leaves an audit line. (That the list is enough for the real CLIs is
 * checked in real-cli-through-sidecar.test.ts, whose audit log must stay empty.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { API_ROUTES, matchRoute } from '../../../auth-proxy/api-routes.ts';
import { ApiKeySource } from '../../../auth-proxy/credential-source.ts';
import { RequestAudit } from '../../../auth-proxy/request-audit.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { readLedgerFile } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type FakeVendor, startFakeVendor } from './fake-vendor.ts';
import { type Egress, type Sidecar, startEgress, startSidecar } from './sidecar-fixture.ts';

let vendor: FakeVendor;
let egress: Egress;
let anthropic: Sidecar;
let openai: Sidecar;
let audit: string;

beforeAll(async () => {
  vendor = await startFakeVendor();
  egress = await startEgress(vendor.port);
  audit = join(egress.dir, 'audit.jsonl');
  const log = new RequestAudit(audit, () => {});
  anthropic = await startSidecar({ egress, vendorPort: vendor.port, credentials: new ApiKeySource('x-api-key', 'sk-ant-real-routes-0000'), audit: log });
  openai = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.openai, credentials: new ApiKeySource('authorization', 'sk-real-routes-openai-00'), audit: log });
});
afterAll(async () => {
  await anthropic.close();
  await openai.close();
  await egress.close();
  await vendor.close();
});

function raw(base: string, method: string, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/`, { method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const FORBIDDEN: [side: 'anthropic' | 'openai', method: string, path: string][] = [
  ['anthropic', 'POST', '/v1/messages/batches'],
  ['anthropic', 'GET', '/v1/messages/batches/msgbatch_01/results'],
  ['anthropic', 'POST', '/v1/files'],
  ['anthropic', 'GET', '/v1/files/file_01/content'],
  ['anthropic', 'GET', '/v1/organizations/usage_report/messages'],
  ['anthropic', 'POST', '/v1/complete'],
  ['anthropic', 'GET', '/v1/messages'],
  ['anthropic', 'POST', '/v1/messages/../files'],
  ['anthropic', 'POST', '/v1/%6Dessages'],
  ['anthropic', 'POST', '/v1/messages/count_tokens/extra'],
  ['anthropic', 'POST', '/peer/x/v1/messages/batches'],
  ['anthropic', 'POST', '/unknown'],
  ['openai', 'POST', '/v1/files'],
  ['openai', 'POST', '/v1/uploads'],
  ['openai', 'POST', '/v1/batches'],
  ['openai', 'POST', '/v1/fine_tuning/jobs'],
  ['openai', 'GET', '/v1/fine_tuning/jobs'],
  ['openai', 'POST', '/v1/chat/completions'],
  ['openai', 'POST', '/v1/embeddings'],
  ['openai', 'POST', '/v1/images/generations'],
  ['openai', 'POST', '/v1/vector_stores'],
  ['openai', 'GET', '/v1/responses'],
  ['openai', 'DELETE', '/v1/responses/resp_1'],
  ['openai', 'POST', '/v1/realtime/sessions'],
  // A stored or background response fetched, cancelled or extended by id, stored conversations,
  // the realtime socket, the input-token counter: none passes the meter.
  ['openai', 'GET', '/v1/responses/resp_1'],
  ['openai', 'POST', '/v1/responses/resp_1/cancel'],
  ['openai', 'GET', '/v1/responses/resp_1/input_items'],
  ['openai', 'POST', '/v1/responses/input_tokens'],
  ['openai', 'POST', '/v1/responses/compact/resp_1'],
  ['openai', 'POST', '/v1/conversations'],
  ['openai', 'POST', '/v1/conversations/conv_1/items'],
  ['openai', 'GET', '/v1/realtime'],
  ['openai', 'POST', '/v1/audio/speech'],
  ['anthropic', 'POST', '/v1/skills'],
  ['anthropic', 'POST', '/v1/messages/batches/msgbatch_01/cancel'],
  ['openai', 'GET', '/v1/organization/costs'],
];

describe('only the API paths the peer CLIs need are forwarded', () => {
  test('the route table: exact paths, methods, an optional /peer/<name> prefix', () => {
    expect(matchRoute('anthropic', 'POST', '/v1/messages?beta=true')?.route.kind).toBe('billable');
    expect(matchRoute('anthropic', 'POST', '/peer/claude/v1/messages')).toMatchObject({ pathname: '/v1/messages', peerPrefix: '/peer/claude' });
    expect(matchRoute('anthropic', 'POST', '/v1/messages/count_tokens')?.route.kind).toBe('free');
    expect(matchRoute('openai', 'POST', '/v1/responses')?.route.kind).toBe('billable');
    expect(matchRoute('responses', 'POST', '/responses')?.route.kind).toBe('billable');
    expect(matchRoute('openai', 'POST', '/responses')).toBeNull();
    for (const [side, method, path] of FORBIDDEN) expect(matchRoute(side, method, path), `${method} ${path}`).toBeNull();
    // Every route says why a CLI needs it.
    for (const routes of Object.values(API_ROUTES)) for (const r of routes) expect(r.why.length).toBeGreaterThan(20);
  });

  test('batches, files, fine-tuning, admin and unknown paths get 403, reach nobody, and are audited', async () => {
    const seenBefore = vendor.requests.length;
    const ledgerBefore = readLedgerFile(join(egress.dir, 'usage.jsonl')).lines.length;
    for (const [side, method, path] of FORBIDDEN) {
      // node:http sends the path as written (fetch would resolve the dot segments itself).
      const res = await raw(`${(side === 'anthropic' ? anthropic : openai).url}`, method, `${path}?key=secret-query-value`, method === 'GET' || method === 'DELETE' ? '' : '{"model":"claude-sonnet-4-5","requests":[]}');
      const body = JSON.parse(res.text);
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 403`);
      if (side === 'anthropic') expect(body.error.type).toBe('permission_error');
      else expect(body.error.code).toBe('peers_path_not_allowed');
    }
    expect(vendor.requests.length).toBe(seenBefore);
    expect(readLedgerFile(join(egress.dir, 'usage.jsonl')).lines.length).toBe(ledgerBefore);
    const lines = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(FORBIDDEN.length);
    expect(lines.map((l) => `${l.upstream} ${l.method} ${l.path}`)).toEqual(FORBIDDEN.map(([s, m, p]) => `${s} ${m} ${p}`));
    expect(lines.every((l) => l.decision === 'denied' && l.status === 403)).toBe(true);
    // The query string (which could carry anything) is never written down.
    expect(readFileSync(audit, 'utf8')).not.toContain('secret-query-value');
  });

  test('the allowed paths still work, with the /peer/<name> prefix removed before the vendor sees them', async () => {
    const before = vendor.requests.length;
    const r = await fetch(`${anthropic.url}/peer/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50 }) });
    expect(r.status).toBe(200);
    await r.text();
    expect(vendor.requests.slice(before).map((x) => x.url)).toEqual(['/v1/messages']);
  });

  test('the audit log stops growing at its size cap (a flood cannot fill the disk)', () => {
    const path = join(egress.dir, 'capped-audit.jsonl');
    const notes: string[] = [];
    const capped = new RequestAudit(path, (l) => notes.push(l), 1000);
    for (let i = 0; i < 50; i++) capped.record({ upstream: 'anthropic', method: 'POST', path: '/v1/files', decision: 'denied', status: 403, reason: 'x' });
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path).length).toBeLessThan(1300);
    expect(notes.filter((n) => n.includes('reached 1000 bytes'))).toHaveLength(1);
  });
});
