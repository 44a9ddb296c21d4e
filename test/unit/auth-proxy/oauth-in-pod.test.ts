/**
 * Subscription logins as the pod wires them (`peers up --credentials oauth-file`), over real
 * sockets and real TLS to the vendors' real token URLs: the egress sidecar built as the pod builds
 * it (a workspace listener, a vendor listener for the auth sidecar, `--oauth-hosts`), the names
 * resolved to a local stand-in that speaks the OAuth refresh protocol (grant_type=refresh_token,
 * JSON reply with access_token / refresh_token / expires_in) and the Messages API.
 *
 * Attacks: the workspace reaches a token endpoint (to spend the user's single-use refresh token, or
 * trade it for a token of its own) — refused, the hosts are on the sidecar's listener only; the
 * workspace asks the sidecar itself for the token path — 403; the refreshed token leaks back to
 * the workspace in a reply — it never does.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthServer } from '../../../auth-proxy/auth-server.ts';
import { claudeCredentials, codexAuth } from '../../../auth-proxy/oauth/formats.ts';
import { OAuthFileSource } from '../../../auth-proxy/oauth/oauth-file-source.ts';
import { tokenPostVia } from '../../../auth-proxy/oauth/token-post.ts';
import { UPSTREAMS } from '../../../auth-proxy/upstreams.ts';
import { UsageLedger } from '../../../auth-proxy/usage/usage-ledger.ts';
import { type RunningEgress, startEgressSidecar } from '../../../proxy/egress-sidecar.ts';

/** A loopback address of its own, so the stand-in can take port 443 (the only port the OAuth hosts are allowed on). */
const VENDOR_IP = '127.11.0.1';
let dir: string;
let vendor: https.Server;
let egress: RunningEgress;
let cert: Buffer;
const refreshes: Record<string, unknown>[] = [];
const apiCalls: { url: string; authorization?: string }[] = [];
/** Valid refresh token → the tokens it is traded for; each works once, as the vendors' do. */
const grants = new Map<string, { access: string; refresh: string }>();

const ws = () => join(dir, 'workspace.sock');
const vendorSock = () => join(dir, 'vendor.sock');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-oauth-pod-'));
  const names = ['platform.claude.com', 'auth.openai.com', 'api.anthropic.com'];
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  cert = readFileSync(join(dir, 'c.pem'));
  vendor = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const json = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (req.url === '/v1/oauth/token' || req.url === '/oauth/token') {
        const grant = JSON.parse(body) as Record<string, unknown>;
        refreshes.push({ host: req.headers.host, url: req.url, ...grant });
        const next = grant.grant_type === 'refresh_token' ? grants.get(String(grant.refresh_token)) : undefined;
        if (!next) return json(400, { error: 'invalid_grant' });
        grants.delete(String(grant.refresh_token));
        return json(200, { access_token: next.access, refresh_token: next.refresh, expires_in: 28800, token_type: 'Bearer' });
      }
      apiCalls.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/v1/messages') return json(200, { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 5, output_tokens: 2 } });
      json(404, { error: 'no route' });
    });
  });
  await new Promise<void>((ok) => vendor.listen(443, VENDOR_IP, () => ok()));
  egress = await startEgressSidecar(
    { listen: `unix:${ws()}`, vendorListen: `unix:${vendorSock()}`, allow: [], oauthHosts: true, limits: {}, testResolve: names.map((n) => `${n}=${VENDOR_IP}`), env: { PEERS_EGRESS_TEST_MODE: '1' } },
    () => {},
  );
});

afterAll(async () => {
  await egress?.stop();
  vendor?.closeAllConnections?.();
  vendor?.close();
  rmSync(dir, { recursive: true, force: true });
});

const expired = () => Date.now() - 60_000;
const claudeFile = (path: string, access: string, refresh: string) =>
  writeFileSync(path, `${JSON.stringify({ claudeAiOauth: { accessToken: access, refreshToken: refresh, expiresAt: expired(), scopes: ['user:inference'], subscriptionType: 'max' } }, null, 2)}\n`, { mode: 0o600 });

function connect(socket: string, authority: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(socket, () => c.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    let got = '';
    c.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n')) {
        resolve(got.split('\r\n')[0]!);
        c.destroy();
      }
    });
    c.on('error', () => resolve(got));
  });
}

describe('token endpoints in the pod', () => {
  test('the workspace cannot reach a token endpoint; the auth sidecar can', async () => {
    for (const host of ['platform.claude.com:443', 'auth.openai.com:443']) {
      expect(await connect(ws(), host), host).toStartWith('HTTP/1.1 403');
      expect(await connect(vendorSock(), host), host).toStartWith('HTTP/1.1 200');
    }
    // A refresh sent from the workspace's side never reaches the vendor.
    const before = refreshes.length;
    await expect(tokenPostVia({ via: { path: ws() }, ca: cert })('https://platform.claude.com/v1/oauth/token', '{"grant_type":"refresh_token","refresh_token":"rt-stolen"}')).rejects.toThrow(/platform\.claude\.com is not on the egress allow-list/);
    expect(refreshes.length).toBe(before);
  });

  test("the sidecar refreshes an expired Claude login at Anthropic's token URL through its own listener, and keeps it in the login file", async () => {
    const file = join(dir, 'claude.json');
    claudeFile(file, 'sk-ant-oat01-old', 'sk-ant-ort01-one');
    grants.set('sk-ant-ort01-one', { access: 'sk-ant-oat01-new', refresh: 'sk-ant-ort01-two' });
    const source = new OAuthFileSource({ path: file, format: claudeCredentials, post: tokenPostVia({ via: { path: vendorSock() }, ca: cert }) });
    const inj = await source.current();
    expect(inj.headers.authorization).toBe('Bearer sk-ant-oat01-new');
    expect(refreshes.at(-1)).toMatchObject({ host: 'platform.claude.com', url: '/v1/oauth/token', grant_type: 'refresh_token', refresh_token: 'sk-ant-ort01-one', client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e', scope: 'user:inference' });
    const saved = JSON.parse(readFileSync(file, 'utf8')).claudeAiOauth;
    expect(saved).toMatchObject({ accessToken: 'sk-ant-oat01-new', refreshToken: 'sk-ant-ort01-two', subscriptionType: 'max' });
    expect(saved.expiresAt).toBeGreaterThan(Date.now() + 28_000_000);
  });

  test("the same for Codex's ChatGPT login at OpenAI's token URL", async () => {
    const file = join(dir, 'auth.json');
    const jwt = (exp: number) => `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.sig`;
    writeFileSync(file, `${JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: jwt(1), access_token: jwt(Math.floor(expired() / 1000)), refresh_token: 'rt-codex-one', account_id: 'acct-1' }, last_refresh: '2026-01-01T00:00:00Z' }, null, 2)}\n`);
    const fresh = jwt(Math.floor(Date.now() / 1000) + 28800);
    grants.set('rt-codex-one', { access: fresh, refresh: 'rt-codex-two' });
    const source = new OAuthFileSource({ path: file, format: codexAuth, post: tokenPostVia({ via: { path: vendorSock() }, ca: cert }) });
    const inj = await source.current();
    expect(inj.headers).toEqual({ authorization: `Bearer ${fresh}`, 'chatgpt-account-id': 'acct-1' });
    expect(refreshes.at(-1)).toMatchObject({ host: 'auth.openai.com', url: '/oauth/token', grant_type: 'refresh_token', refresh_token: 'rt-codex-one' });
    expect(JSON.parse(readFileSync(file, 'utf8')).tokens).toMatchObject({ access_token: fresh, refresh_token: 'rt-codex-two' });
  });

  test('the refreshed token goes to the vendor and never back to the workspace; the token path is not forwarded for the workspace', async () => {
    const file = join(dir, 'claude2.json');
    claudeFile(file, 'sk-ant-oat01-stale', 'sk-ant-ort01-three');
    grants.set('sk-ant-ort01-three', { access: 'sk-ant-oat01-secret-fresh', refresh: 'sk-ant-ort01-four' });
    const server = new AuthServer({
      upstream: UPSTREAMS.anthropic,
      credentials: new OAuthFileSource({ path: file, format: claudeCredentials, post: tokenPostVia({ via: { path: vendorSock() }, ca: cert }) }),
      egress: { via: { path: vendorSock() }, ca: cert },
      ledger: new UsageLedger(join(dir, 'usage.jsonl')),
      caps: () => ({}),
    });
    const url = `http://127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
    const ask = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'peers-auth-sidecar-placeholder' }, body: JSON.stringify(body) });
    const reply = await ask('/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const text = await reply.text();
    expect(reply.status).toBe(200);
    expect(apiCalls.at(-1)).toEqual({ url: '/v1/messages', authorization: 'Bearer sk-ant-oat01-secret-fresh' });
    expect(`${JSON.stringify([...reply.headers.entries()])}${text}`).not.toMatch(/sk-ant-o[ar]t01/);
    const before = refreshes.length;
    for (const path of ['/v1/oauth/token', '/oauth/token']) expect((await ask(path, { grant_type: 'refresh_token', refresh_token: 'sk-ant-ort01-four' })).status, path).toBe(403);
    expect(refreshes.length).toBe(before);
    await server.close();
  });
});
