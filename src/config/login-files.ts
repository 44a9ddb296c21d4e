/**
 * Where the CLIs keep their subscription logins, as the CLIs themselves decide it: Claude Code's
 * `.credentials.json` in its config dir (`CLAUDE_CONFIG_DIR`, else `~/.claude`), Codex's
 * `auth.json` in `CODEX_HOME` (else `~/.codex`). `peers up --credentials oauth-file` mounts these
 * dirs into the auth sidecar; `peers doctor` and the budget's billing guess look at the same files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCredentials, codexAuth } from '../../auth-proxy/oauth/formats.ts';
import { readTokenFile } from '../../auth-proxy/oauth/token-file.ts';

type Env = Record<string, string | undefined>;

export function claudeConfigDir(env: Env, home: string): string {
  return env.CLAUDE_CONFIG_DIR || join(home, '.claude');
}

export function claudeLoginFile(env: Env, home: string): string {
  return join(claudeConfigDir(env, home), '.credentials.json');
}

export function codexHomeDir(env: Env, home: string): string {
  return env.CODEX_HOME || join(home, '.codex');
}

export function codexLoginFile(env: Env, home: string): string {
  return join(codexHomeDir(env, home), 'auth.json');
}

/**
 * A login file as the auth sidecar would read it: absent, usable, or there but holding no login
 * (a logged-out CLI leaves `{}`; Codex signed in with an API key has no tokens): mounting that one
 * would give a pod whose every request fails, so `up` says why before it starts.
 */
export function loginAt(path: string, tool: 'claude' | 'codex'): { state: 'absent' } | { state: 'usable'; expiresAtMs: number | null } | { state: 'unusable'; why: string } {
  if (!existsSync(path)) return { state: 'absent' };
  try {
    const login = (tool === 'claude' ? claudeCredentials : codexAuth).read(readTokenFile(path).doc);
    return { state: 'usable', expiresAtMs: login.expiresAtMs };
  } catch (e) {
    const why = (e as Error).message;
    return { state: 'unusable', why: why.startsWith(path) ? why : `${path}: ${why.replace(/^[.\w-]+\.json: /, '')}` };
  }
}

/**
 * How long ago a login's access token expired ("3 days ago"), or null while it is valid (or the
 * file does not say). An expired access token is normal: the auth sidecar renews it with the
 * refresh token before the first request; `peers doctor` and `peers up` say so beforehand.
 */
export function expiredAgo(expiresAtMs: number | null, nowMs: number): string | null {
  if (expiresAtMs === null || expiresAtMs > nowMs) return null;
  const hours = Math.floor((nowMs - expiresAtMs) / 3_600_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days ago` : hours >= 1 ? `${hours} h ago` : 'less than an hour ago';
}

/** What happens to an expired login in the run, said the same way by doctor and up. */
export const EXPIRED_LOGIN_NOTE = 'the auth sidecar renews it when the run starts, and a login the vendor no longer accepts stops that peer with "login refused"';
