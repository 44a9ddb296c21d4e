/**
 * Where the real credential comes from. The sidecar asks for the headers to inject before every
 * request, and reports a 401 so an OAuth source can refresh (an API key cannot).
 */
export type Injection = {
  headers: Record<string, string>;
  /** The secret values inside `headers`, so every error and log line can be scrubbed of them. */
  secrets: string[];
};

export interface CredentialSource {
  readonly kind: 'api-key' | 'oauth-file';
  current(): Promise<Injection>;
  /** Called after the upstream answered 401 to `used`; resolves true when a retry may succeed. */
  onUnauthorized(used: Injection): Promise<boolean>;
}

/**
 * A credential that cannot work until the user acts (a login whose renewal the vendor refused):
 * the sidecar answers 401 with this message, so the peer's CLI reports an authentication failure
 * and the loop stops that peer with the reason (src/peer-output/auth-refusal.ts) instead of
 * retrying a 502 turn after turn.
 */
export class CredentialRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialRefused';
  }
}

export type ApiKeyHeader = 'x-api-key' | 'authorization';

export class ApiKeySource implements CredentialSource {
  readonly kind = 'api-key' as const;
  private readonly injection: Injection;

  /** Several headers: an anthropic-compatible provider may read either x-api-key or a bearer token. */
  constructor(header: ApiKeyHeader | ApiKeyHeader[], key: string) {
    if (!key) throw new Error('empty API key');
    const headers = Array.isArray(header) ? header : [header];
    this.injection = { headers: Object.fromEntries(headers.map((h) => [h, h === 'authorization' ? `Bearer ${key}` : key])), secrets: [key] };
  }

  async current(): Promise<Injection> {
    return this.injection;
  }

  async onUnauthorized(): Promise<boolean> {
    return false;
  }
}

/**
 * No credential at all: the scripted model server needs none, so in model-server mode the sidecar
 * never reads a key, whatever its environment holds (client credentials are still stripped).
 */
export class NoCredential implements CredentialSource {
  readonly kind = 'api-key' as const;

  async current(): Promise<Injection> {
    return { headers: {}, secrets: [] };
  }

  async onUnauthorized(): Promise<boolean> {
    return false;
  }
}
