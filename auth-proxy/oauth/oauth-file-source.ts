/**
 * Credentials from the user's CLI OAuth file (opt-in).
 *
 * Refresh tokens are single-use, and the host CLI may refresh the same login at any moment, so:
 * the file is re-read before every request (a refresh done by the host CLI is picked up at once);
 * a refresh happens only when the token is expired or about to be, or after a 401 for the token
 * still in the file; it runs under a lock beside the file and re-reads the file after taking the
 * lock (if someone else refreshed meanwhile, their token is used and no second refresh happens);
 * the new tokens are written back atomically in the file's own format; and on any failure the old
 * file stays as it was, so the user's login is never lost by the sidecar.
 */
import { CredentialRefused, type CredentialSource, type Injection } from '../credential-source.ts';
import { withFileLock } from './file-lock.ts';
import type { OAuthFormat, TokenState } from './formats.ts';
import { readTokenFile, writeTokenFile } from './token-file.ts';

export type TokenPost = (url: string, body: string) => Promise<{ status: number; text: string }>;

export type OAuthFileOptions = {
  path: string;
  format: OAuthFormat;
  post: TokenPost;
  tokenUrl?: string;
  lockPath?: string;
  /** 'never' leaves refreshing to the host CLI (the sidecar then only re-reads the file). */
  refresh?: 'when-needed' | 'never';
  /** Refresh this long before expiry (default 5 minutes). */
  skewMs?: number;
  now?: () => number;
};

/** Token-endpoint answers that refuse the login itself (a 5xx, 429 or network failure may pass). */
const REFUSED = new Set([400, 401, 403]);

export class RefreshError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefreshError';
  }
}

export class OAuthFileSource implements CredentialSource {
  readonly kind = 'oauth-file' as const;
  /** How many refresh requests this source sent (observable in tests and the sidecar's log). */
  refreshCount = 0;
  private inflight: Promise<void> | null = null;

  constructor(private readonly opts: OAuthFileOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private expiring(state: TokenState): boolean {
    return state.expiresAtMs !== null && state.expiresAtMs - this.now() < (this.opts.skewMs ?? 300_000);
  }

  private load(): { state: TokenState; injection: Injection } {
    const file = readTokenFile(this.opts.path);
    const state = this.opts.format.read(file.doc);
    return { state, injection: { headers: this.opts.format.headers(state, file.doc), secrets: [state.accessToken, state.refreshToken] } };
  }

  async current(): Promise<Injection> {
    const first = this.load();
    if (this.opts.refresh === 'never' || !this.expiring(first.state)) return first.injection;
    await this.refresh(first.state.accessToken);
    return this.load().injection;
  }

  async onUnauthorized(used: Injection): Promise<boolean> {
    const usedToken = used.secrets[0]!;
    const now = this.load();
    if (now.state.accessToken !== usedToken) return true; // the host CLI refreshed meanwhile
    if (this.opts.refresh === 'never') return false;
    await this.refresh(usedToken, true);
    return this.load().state.accessToken !== usedToken;
  }

  /** Refreshes unless someone (this process or another) already replaced `staleToken`. */
  refresh(staleToken: string, rejected = false): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.refreshLocked(staleToken, rejected).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async refreshLocked(staleToken: string, rejected: boolean): Promise<void> {
    await withFileLock(this.opts.lockPath ?? `${this.opts.path}.lock`, async () => {
      const file = readTokenFile(this.opts.path);
      const state = this.opts.format.read(file.doc);
      if (state.accessToken !== staleToken && !this.expiring(state)) return;
      if (state.accessToken === staleToken && !rejected && !this.expiring(state)) return;
      this.refreshCount++;
      const url = this.opts.tokenUrl ?? this.opts.format.defaultTokenUrl;
      let reply: { status: number; text: string };
      try {
        reply = await this.opts.post(url, this.opts.format.refreshBody(state));
      } catch (e) {
        throw new RefreshError(`${this.opts.format.name} token refresh failed: ${(e as Error).message}`);
      }
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(reply.text) as Record<string, unknown>;
      } catch {}
      if (reply.status !== 200 || !json || typeof json !== 'object') {
        const code = json && typeof json.error === 'string' && /^[a-z_]{1,40}$/.test(json.error) ? ` (${json.error})` : '';
        const failed = `${this.opts.format.name} token refresh failed: HTTP ${reply.status}${code}; the credentials file was left unchanged`;
        // 400/401/403 (invalid_grant…): the vendor refused this login for good (revoked, expired,
        // or its single-use refresh token spent elsewhere). Only the user can log in again.
        // First the fix, then the detail: the CLI's error line is cut short in the run's status.
        if (REFUSED.has(reply.status)) throw new CredentialRefused(`${this.opts.format.name} login refused: log in again on the host (${this.opts.format.relogin}), then peers up --credentials oauth-file (its refresh got HTTP ${reply.status}${code}; the login file is unchanged)`);
        throw new RefreshError(failed);
      }
      try {
        this.opts.format.apply(file.doc, json, this.now());
      } catch (e) {
        throw new RefreshError(`${this.opts.format.name} token refresh failed: ${(e as Error).message}; the credentials file was left unchanged`);
      }
      writeTokenFile(this.opts.path, file);
    });
  }
}
