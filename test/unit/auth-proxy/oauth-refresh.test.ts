/**
 * OAuth mode against real credential files: refresh only when needed, through the egress proxy,
 * written back atomically in the file's own format, never twice for one expiry, never losing the
 * login on failure.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCredentials, codexAuth } from '../../../auth-proxy/oauth/formats.ts';
import { OAuthFileSource } from '../../../auth-proxy/oauth/oauth-file-source.ts';
import { tokenPostVia } from '../../../auth-proxy/oauth/token-post.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { structuredStatus } from '../../../src/peer-output/structured-events.ts';
import { type FakeVendor, startFakeVendor } from './fake-vendor.ts';
import { call, type Egress, startEgress, startSidecar } from './sidecar-fixture.ts';

let vendor: FakeVendor;
let egress: Egress;
let file: string;
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);

beforeAll(async () => {
  vendor = await startFakeVendor();
  egress = await startEgress(vendor.port);
});
afterAll(async () => {
  await egress.close();
  await vendor.close();
});

// Claude Code's own layout: two-space indent, key order as written by the CLI, expiresAt in ms.
const claudeFile = (access: string, refresh: string, expiresAt: number) =>
  `{\n  "claudeAiOauth": {\n    "accessToken": "${access}",\n    "refreshToken": "${refresh}",\n    "expiresAt": ${expiresAt},\n    "scopes": [\n      "user:inference",\n      "user:profile"\n    ],\n    "subscriptionType": "max"\n  }\n}`;

function claudeSource(extra: Partial<ConstructorParameters<typeof OAuthFileSource>[0]> = {}) {
  return new OAuthFileSource({
    path: file,
    format: claudeCredentials,
    tokenUrl: `http://auth.peers.test:${vendor.port}/v1/oauth/token`,
    post: tokenPostVia({ via: { path: egress.socket } }, { allowHttpForTests: true }),
    now: () => NOW,
    ...extra,
  });
}

beforeEach(() => {
  file = join(egress.dir, `credentials-${Math.random().toString(36).slice(2)}.json`);
  vendor.tokenCalls = [];
  vendor.refreshTable = new Map();
  vendor.requireBearer = null;
  vendor.refreshDelayMs = 0;
});

describe('OAuth credentials file', () => {
  test('a valid token is used as is: no refresh, OAuth headers injected', async () => {
    writeFileSync(file, claudeFile('at-valid-1111', 'rt-1111', NOW + 3_600_000));
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: claudeSource() });
    const r = await call(sidecar.url, '/v1/messages', { body: {}, headers: { authorization: 'Bearer placeholder' } });
    await sidecar.close();
    expect(r.status).toBe(200);
    expect(vendor.tokenCalls).toEqual([]);
    expect(vendor.requests.at(-1)!.headers.authorization).toBe('Bearer at-valid-1111');
    expect(vendor.requests.at(-1)!.headers['anthropic-beta']).toBe('oauth-2025-04-20');
  });

  test('an expired token is refreshed through the egress proxy and written back atomically in the same format', async () => {
    const original = claudeFile('at-old-2222', 'rt-2222', NOW - 1000);
    writeFileSync(file, original);
    chmodSync(file, 0o640);
    vendor.refreshTable.set('rt-2222', ['at-new-2222', 'rt-new-2222']);
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: claudeSource() });
    const r = await call(sidecar.url, '/v1/messages', { body: {} });
    await sidecar.close();
    expect(r.status).toBe(200);
    expect(vendor.requests.at(-1)!.headers.authorization).toBe('Bearer at-new-2222');
    expect(egress.audit.records.some((a) => a.host === 'auth.peers.test' && a.decision === 'allow')).toBe(true);
    // Byte-for-byte the old layout with only the three token fields changed; expiresAt in ms.
    expect(readFileSync(file, 'utf8')).toBe(claudeFile('at-new-2222', 'rt-new-2222', NOW + 3_600_000));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(egress.dir).filter((n) => n.includes('.tmp') || n.endsWith('.lock'))).toEqual([]);
  });

  test('two refreshers racing on one expired file refresh once; both end with the new token', async () => {
    writeFileSync(file, claudeFile('at-old-3333', 'rt-3333', NOW - 1000));
    vendor.refreshTable.set('rt-3333', ['at-new-3333', 'rt-new-3333']);
    vendor.refreshDelayMs = 150; // hold the first refresh open so the second must contend
    // Two sources = two independent refreshers (as two processes would be): only the file lock
    // and the re-read under it keep the single-use refresh token from being spent twice.
    const a = claudeSource();
    const b = claudeSource();
    const [ia, ib, ia2] = await Promise.all([a.current(), b.current(), a.current()]);
    expect(vendor.tokenCalls).toEqual([{ refresh_token: 'rt-3333' }]);
    for (const inj of [ia, ib, ia2]) expect(inj.headers.authorization).toBe('Bearer at-new-3333');
    expect(a.refreshCount + b.refreshCount).toBe(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).claudeAiOauth.refreshToken).toBe('rt-new-3333');
  });

  test('a 401 for the token in the file triggers one refresh and one retry', async () => {
    writeFileSync(file, claudeFile('at-revoked-4444', 'rt-4444', NOW + 3_600_000));
    vendor.refreshTable.set('rt-4444', ['at-fresh-4444', 'rt-fresh-4444']);
    vendor.requireBearer = 'at-fresh-4444';
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: claudeSource() });
    const r = await call(sidecar.url, '/v1/messages', { body: {} });
    await sidecar.close();
    expect(r.status).toBe(200);
    expect(vendor.tokenCalls.length).toBe(1);
  });

  test('a token refreshed by the host CLI meanwhile is adopted without refreshing', async () => {
    writeFileSync(file, claudeFile('at-stale-5555', 'rt-5555', NOW + 3_600_000));
    vendor.requireBearer = 'at-host-5555';
    const src = claudeSource();
    const used = await src.current();
    writeFileSync(file, claudeFile('at-host-5555', 'rt-host-5555', NOW + 3_600_000)); // the host CLI's own refresh
    expect(await src.onUnauthorized(used)).toBe(true);
    expect((await src.current()).headers.authorization).toBe('Bearer at-host-5555');
    expect(vendor.tokenCalls).toEqual([]);
  });

  test('a refresh the vendor refuses (a dead login) keeps the old file byte for byte, reports no token, and is a 401 the peer stops on', async () => {
    const original = claudeFile('at-old-6666', 'rt-6666-already-used', NOW - 1000);
    writeFileSync(file, original);
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: claudeSource() });
    const r = await call(sidecar.url, '/v1/messages', { body: {} });
    await sidecar.close();
    // A 502 was retried by the CLI and then turn after turn by the loop until the failure cap: the
    // user found a run of failed ticks in the morning. A 401 halts the peer with this reason.
    expect(r.status).toBe(401);
    const error = JSON.parse(r.text).error;
    expect(error.type).toBe('authentication_error');
    expect(error.message).toBe('peers auth sidecar: claude login refused: log in again on the host (`claude`, then /login), then peers up --credentials oauth-file (its refresh got HTTP 400 (invalid_grant); the login file is unchanged)');
    // What Claude Code reports for it (stream-json result) is a halt, not a transient error.
    const result = JSON.stringify({ type: 'result', subtype: 'success', is_error: true, api_error_status: 401, result: `API Error: 401 ${r.text}` });
    expect(structuredStatus('claude', result)?.kind).toBe('halt');
    expect(readFileSync(file, 'utf8')).toBe(original);
    const seen = [r.text, ...sidecar.logs].join('\n');
    expect(seen).not.toContain('rt-6666');
    expect(seen).not.toContain('at-old-6666');
  });

  test('a token endpoint that fails for a while (5xx) is a 502 the CLI may retry, not a refused login', async () => {
    writeFileSync(file, claudeFile('at-old-7777', 'rt-7777', NOW - 1000));
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, credentials: claudeSource({ post: async () => ({ status: 503, text: '{"error":"temporarily_unavailable"}' }) }) });
    const r = await call(sidecar.url, '/v1/messages', { body: {} });
    await sidecar.close();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.text).error.message).toContain('token refresh failed: HTTP 503 (temporarily_unavailable)');
  });

  test('Codex auth.json: ChatGPT account header, /backend-api/codex prefix, refresh keeps its layout', async () => {
    const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.s`;
    const oldAt = jwt(NOW / 1000 - 10);
    const newAt = jwt(NOW / 1000 + 3600);
    const doc = { OPENAI_API_KEY: null, tokens: { id_token: 'id-old', access_token: oldAt, refresh_token: 'rt-codex-1', account_id: 'acct-77' }, last_refresh: '2026-11-01T00:00:00Z' };
    writeFileSync(file, JSON.stringify(doc, null, 2));
    vendor.refreshTable.set('rt-codex-1', [newAt, 'rt-codex-2']);
    const src = new OAuthFileSource({ path: file, format: codexAuth, tokenUrl: `http://auth.peers.test:${vendor.port}/oauth/token`, post: tokenPostVia({ via: { path: egress.socket } }, { allowHttpForTests: true }), now: () => NOW });
    const sidecar = await startSidecar({ egress, vendorPort: vendor.port, upstream: UPSTREAMS.chatgpt, credentials: src });
    const r = await call(sidecar.url, '/responses', { body: { model: 'gpt-5-codex' } });
    await sidecar.close();
    expect(r.status).toBe(200);
    const seen = vendor.requests.at(-1)!;
    expect(seen.url).toBe('/backend-api/codex/responses');
    expect(seen.headers.authorization).toBe(`Bearer ${newAt}`);
    expect(seen.headers['chatgpt-account-id']).toBe('acct-77');
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(JSON.stringify({ ...doc, tokens: { ...doc.tokens, access_token: newAt, refresh_token: 'rt-codex-2' }, last_refresh: new Date(NOW).toISOString() }, null, 2));
  });
});
