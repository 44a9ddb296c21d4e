/**
 * The two CLI credential files the sidecar can use (opt-in), and how each one refreshes.
 * Field names, units and endpoints follow the CLIs' own files: Claude Code's
 * `~/.claude/.credentials.json` (`claudeAiOauth`, `expiresAt` in epoch MILLISECONDS) and Codex's
 * `~/.codex/auth.json` (`tokens`, `last_refresh` as an ISO timestamp; expiry from the JWT).
 */
export type TokenState = {
  accessToken: string;
  refreshToken: string;
  expiresAtMs: number | null;
  /** Claude's login: the scopes it was granted and its OAuth client, sent back on refresh as Claude Code does. */
  scopes?: string[];
  clientId?: string;
};

export interface OAuthFormat {
  readonly name: string;
  readonly defaultTokenUrl: string;
  /** How the user logs in again on the host when the login is refused. */
  readonly relogin: string;
  read(doc: Record<string, unknown>): TokenState;
  headers(state: TokenState, doc: Record<string, unknown>): Record<string, string>;
  refreshBody(state: TokenState): string;
  /** Writes the token response into the document in place (same keys, same units). */
  apply(doc: Record<string, unknown>, response: Record<string, unknown>, nowMs: number): void;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function section(doc: Record<string, unknown>, key: string, file: string): Record<string, unknown> {
  const s = doc[key];
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new Error(`${file}: no "${key}" object (log in with the CLI on the host first)`);
  return s as Record<string, unknown>;
}

function newAccessToken(response: Record<string, unknown>): string {
  const t = str(response.access_token);
  if (!t) throw new Error('token endpoint reply has no access_token');
  return t;
}

/** Claude Code's own OAuth client id (its built-in default when the login file names none). */
export const CLAUDE_CODE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';

/**
 * Claude Code 2.1.330 refreshes at `TOKEN_URL` https://platform.claude.com/v1/oauth/token with a
 * JSON body {grant_type, refresh_token, client_id, scope: the login's scopes joined by spaces}, and
 * reads access_token, refresh_token (else the old one stays) and expires_in (seconds) back.
 */
export const claudeCredentials: OAuthFormat = {
  name: 'claude',
  defaultTokenUrl: 'https://platform.claude.com/v1/oauth/token',
  relogin: '`claude`, then /login',
  read(doc) {
    const s = section(doc, 'claudeAiOauth', '.credentials.json');
    const accessToken = str(s.accessToken);
    const refreshToken = str(s.refreshToken);
    if (!accessToken || !refreshToken) throw new Error('.credentials.json: claudeAiOauth has no accessToken/refreshToken');
    const scopes = Array.isArray(s.scopes) && s.scopes.every((x) => typeof x === 'string' && x.length > 0) ? (s.scopes as string[]) : undefined;
    return { accessToken, refreshToken, expiresAtMs: typeof s.expiresAt === 'number' ? s.expiresAt : null, scopes, clientId: str(s.clientId) };
  },
  headers(state) {
    // Claude Code marks OAuth bearer requests with this beta flag; the API refuses them without it.
    return { authorization: `Bearer ${state.accessToken}`, 'anthropic-beta': 'oauth-2025-04-20' };
  },
  refreshBody(state) {
    return JSON.stringify({ grant_type: 'refresh_token', refresh_token: state.refreshToken, client_id: state.clientId ?? CLAUDE_CODE_CLIENT_ID, ...(state.scopes?.length ? { scope: state.scopes.join(' ') } : {}) });
  },
  apply(doc, response, nowMs) {
    const s = section(doc, 'claudeAiOauth', '.credentials.json');
    s.accessToken = newAccessToken(response);
    if (str(response.refresh_token)) s.refreshToken = response.refresh_token;
    if (typeof response.expires_in === 'number') s.expiresAt = Math.floor(nowMs + response.expires_in * 1000);
    if (typeof response.scope === 'string' && response.scope.trim()) s.scopes = response.scope.trim().split(/\s+/);
  },
};

/** The `exp` claim of a JWT access token, in ms, or null when it is not a readable JWT. */
export function jwtExpiryMs(token: string): number | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

export const codexAuth: OAuthFormat = {
  name: 'codex',
  defaultTokenUrl: 'https://auth.openai.com/oauth/token',
  relogin: '`codex login`, "Sign in with ChatGPT"',
  read(doc) {
    const t = section(doc, 'tokens', 'auth.json');
    const accessToken = str(t.access_token);
    const refreshToken = str(t.refresh_token);
    if (!accessToken || !refreshToken) throw new Error('auth.json: tokens has no access_token/refresh_token (is Codex logged in with ChatGPT?)');
    return { accessToken, refreshToken, expiresAtMs: jwtExpiryMs(accessToken) };
  },
  headers(state, doc) {
    const t = section(doc, 'tokens', 'auth.json');
    const account = str(t.account_id);
    return { authorization: `Bearer ${state.accessToken}`, ...(account ? { 'chatgpt-account-id': account } : {}) };
  },
  refreshBody(state) {
    return JSON.stringify({ client_id: 'app_EMoamEEZ73f0CkXaXp7hrann', grant_type: 'refresh_token', refresh_token: state.refreshToken, scope: 'openid profile email' });
  },
  apply(doc, response, nowMs) {
    const t = section(doc, 'tokens', 'auth.json');
    t.access_token = newAccessToken(response);
    if (str(response.id_token)) t.id_token = response.id_token;
    if (str(response.refresh_token)) t.refresh_token = response.refresh_token;
    if ('last_refresh' in doc) doc.last_refresh = new Date(nowMs).toISOString();
  },
};
