/**
 * Sends an OAuth refresh request to the token endpoint through the egress proxy (the token host
 * must be on the egress allow-list: OAUTH_REFRESH_ALLOW). Only https endpoints are accepted; the
 * plain-http escape exists for tests against local servers.
 */
import { type ConnectOptions, sendUpstream } from '../egress-connector.ts';
import { parseOrigin } from '../upstreams.ts';
import type { TokenPost } from './oauth-file-source.ts';

const MAX_REPLY_BYTES = 1024 * 1024;

export function tokenPostVia(egress: ConnectOptions, opts: { allowHttpForTests?: boolean } = {}): TokenPost {
  return async (url, body) => {
    const u = new URL(url);
    if (u.protocol !== 'https:' && !(opts.allowHttpForTests && u.protocol === 'http:')) throw new Error(`token URL must be https: ${u.origin}`);
    const target = parseOrigin(u.origin);
    const res = await sendUpstream(target, {
      method: 'POST',
      path: `${u.pathname}${u.search}`,
      headers: { host: u.host, 'content-type': 'application/json', accept: 'application/json' },
      body: Buffer.from(body),
    }, { ...egress, timeoutMs: 30_000 });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const c of res) {
      size += (c as Buffer).length;
      if (size > MAX_REPLY_BYTES) {
        res.destroy();
        throw new Error(`token endpoint reply exceeds ${MAX_REPLY_BYTES} bytes`);
      }
      chunks.push(c as Buffer);
    }
    return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
  };
}
