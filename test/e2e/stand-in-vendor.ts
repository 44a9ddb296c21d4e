/**
 * The vendors' servers for test/e2e/pod-subscriptions.test.ts, on the host's 127.0.0.1:443 (the
 * egress container reaches it as 10.0.2.2 in test mode, sandbox/test-upstream.ts), over TLS with a
 * certificate for every vendor name. It speaks what the auth sidecar speaks to the real ones:
 *  - the OAuth refresh grants: Claude Code's at https://platform.claude.com/v1/oauth/token and
 *    Codex's at https://auth.openai.com/oauth/token (JSON body, grant_type=refresh_token; a
 *    refresh token works once, as the vendors' do; a reply with access_token, refresh_token and
 *    expires_in / id_token);
 *  - the APIs, https://api.anthropic.com/v1/messages and
 *    https://chatgpt.com/backend-api/codex/responses: a request whose bearer token is not a
 *    currently valid access token gets the vendor's 401 (Anthropic's authentication_error for an
 *    expired OAuth token, the ChatGPT backend's token_expired); a valid one is passed to the
 *    scripted model server, which plays the scenario (replies and the usage limit).
 * Every request is recorded (host, path, the token it carried, the grant's body) for the test.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';

export const VENDOR_NAMES = ['api.anthropic.com', 'chatgpt.com', 'platform.claude.com', 'auth.openai.com'];
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

export type Grant = { access: string; refresh: string; idToken?: string };
export type TokenCall = { host: string; path: string; contentType: string; body: Record<string, unknown>; status: number };
export type ApiCall = { host: string; path: string; token: string; accountId?: string; beta?: string; status: number };

export type StandInVendor = {
  /** The certificate the auth container is told to trust. */
  certFile: string;
  tokenCalls: TokenCall[];
  apiCalls: ApiCall[];
  /** Refresh token → what it is traded for (each works once). */
  grants: Map<string, Grant>;
  /** Access tokens the APIs accept right now. */
  valid: Set<string>;
  stop(): Promise<void>;
};

/** A JWT-shaped access token (Codex reads its expiry from the `exp` claim). */
export function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

function selfSigned(dir: string): { key: string; cert: string } {
  const key = join(dir, 'vendor-key.pem');
  const cert = join(dir, 'vendor-cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${VENDOR_NAMES[0]}`, '-addext', `subjectAltName=${VENDOR_NAMES.map((n) => `DNS:${n}`).join(',')}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key, cert };
}

export async function startStandInVendor(dir: string, modelServerUrl: string): Promise<StandInVendor> {
  const { key, cert } = selfSigned(dir);
  const model = new URL(modelServerUrl);
  const tokenCalls: TokenCall[] = [];
  const apiCalls: ApiCall[] = [];
  const grants = new Map<string, Grant>();
  const valid = new Set<string>();

  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const host = String(req.headers.host ?? '').replace(/:443$/, '');
      const path = req.url ?? '';
      const body = Buffer.concat(chunks);
      const json = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (req.method === 'POST' && ((host === 'platform.claude.com' && path === '/v1/oauth/token') || (host === 'auth.openai.com' && path === '/oauth/token'))) {
        let grant: Record<string, unknown> = {};
        try {
          grant = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {}
        const next = grant.grant_type === 'refresh_token' ? grants.get(String(grant.refresh_token)) : undefined;
        const clientOk = host === 'auth.openai.com' ? grant.client_id === CODEX_CLIENT_ID : typeof grant.client_id === 'string';
        const status = next && clientOk ? 200 : 400;
        tokenCalls.push({ host, path, contentType: String(req.headers['content-type'] ?? ''), body: grant, status });
        if (!next || !clientOk) return json(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
        grants.delete(String(grant.refresh_token));
        valid.add(next.access);
        if (host === 'auth.openai.com') return json(200, { id_token: next.idToken, access_token: next.access, refresh_token: next.refresh });
        return json(200, { token_type: 'Bearer', access_token: next.access, refresh_token: next.refresh, expires_in: 28800, scope: grant.scope });
      }
      const anthropic = host === 'api.anthropic.com';
      const chatgpt = host === 'chatgpt.com' && path.startsWith('/backend-api/codex/');
      if (!anthropic && !chatgpt) return json(404, { error: `the stand-in has nothing at ${host}${path}` });
      const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const call: ApiCall = { host, path, token, accountId: req.headers['chatgpt-account-id'] as string | undefined, beta: req.headers['anthropic-beta'] as string | undefined, status: 0 };
      apiCalls.push(call);
      if (!valid.has(token)) {
        call.status = 401;
        if (anthropic) return json(401, { type: 'error', error: { type: 'authentication_error', message: 'OAuth token has expired. Please obtain a new token or refresh your existing token.' } });
        return json(401, { error: { message: 'Your authentication token has expired. Please try signing in again.', type: 'invalid_request_error', code: 'token_expired', param: null } });
      }
      // The scripted model server serves both APIs at its root.
      const forwardPath = chatgpt ? path.slice('/backend-api/codex'.length) : path;
      const headers = { ...req.headers, host: model.host, 'content-length': String(body.length) };
      const up = http.request({ host: model.hostname, port: model.port, method: req.method, path: forwardPath, headers }, (r) => {
        call.status = r.statusCode ?? 0;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => json(502, { error: `model server: ${e.message}` }));
      up.end(body);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(443, '127.0.0.1', () => ok());
  });
  return {
    certFile: cert,
    tokenCalls,
    apiCalls,
    grants,
    valid,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
