/**
 * The runner's word, authenticated: with a per-run key only the loop and that runner hold
 * (runner-key.ts), every message a runner sends is sealed with an HMAC over the exact request
 * line it answers (which carries a fresh nonce) and its place in the reply, so a process that took
 * the runner's socket path (an impostor answering the loop, or one relaying to the real runner
 * after changing the request) cannot make the loop take its answer for the runner's: the loop
 * refuses every line it cannot open (SECURITY.md, "The sandbox pod", runner identity).
 *
 *   runner → loop   {"sealed": "<the message as JSON>", "mac": "<hex HMAC-SHA256>"}
 *   mac = HMAC(key, sha256(request line) ":" seq ":" sealed), seq = 0, 1, 2… per connection
 *
 * The other way too: the code a runner runs can reach its socket (the socket's directory is
 * writable in the runner's own container), and a request of its own would be a live request, whose
 * processes no leftover sweep touches (a daemon holding its connection outlived every gate run).
 * So with a key a runner takes only requests the loop made:
 *
 *   loop → runner   {"request": "<the request line>", "auth": "<hex HMAC-SHA256>"}
 *   auth = HMAC(key, "request:" request line)
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerMessage } from './runner-protocol.ts';

export const RUNNER_KEY_BYTES = 32;

const digest = (line: string) => createHash('sha256').update(line).digest('hex');
const macOf = (key: Buffer, reqDigest: string, seq: number, sealed: string) => createHmac('sha256', key).update(`${reqDigest}:${seq}:${sealed}`).digest();

/** A fresh nonce for a request line: no two requests of a run hash alike, so no answer can be replayed. */
export const requestNonce = (): string => randomBytes(16).toString('hex');

/** Seals the runner's messages in answer to `requestLine` (as received, without its newline). */
export function sealer(key: Buffer, requestLine: string): (msg: ServerMessage) => string {
  const reqDigest = digest(requestLine);
  let seq = 0;
  return (msg) => {
    const sealed = JSON.stringify(msg);
    return `${JSON.stringify({ sealed, mac: macOf(key, reqDigest, seq++, sealed).toString('hex') })}\n`;
  };
}

/** Opens the runner's lines in answer to `requestLine` (as sent); throws on any line the runner did not seal for it, in order. */
export function opener(key: Buffer, requestLine: string): (line: string) => ServerMessage {
  const reqDigest = digest(requestLine);
  let seq = 0;
  return (line) => {
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      throw new Error('a line that is not JSON');
    }
    const { sealed, mac } = (doc ?? {}) as { sealed?: unknown; mac?: unknown };
    if (typeof sealed !== 'string' || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) throw new Error('an unsealed message');
    if (!timingSafeEqual(Buffer.from(mac, 'hex'), macOf(key, reqDigest, seq, sealed))) throw new Error('a message sealed with another key, for another request or out of order');
    seq++;
    return JSON.parse(sealed) as ServerMessage;
  };
}

const authOf = (key: Buffer, line: string) => createHmac('sha256', key).update(`request:${line}`).digest();

/** The loop: `requestLine` wrapped with its proof that the key's holder made it. */
export function authRequest(key: Buffer, requestLine: string): string {
  return JSON.stringify({ request: requestLine, auth: authOf(key, requestLine).toString('hex') });
}

/** The runner: the request line inside `line`; throws unless the key's holder made it. */
export function openRequest(key: Buffer, line: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new Error('a request that is not JSON');
  }
  const { request, auth } = (doc ?? {}) as { request?: unknown; auth?: unknown };
  if (typeof request !== 'string' || typeof auth !== 'string' || !/^[0-9a-f]{64}$/.test(auth)) throw new Error('a request without the loop\'s authentication');
  if (!timingSafeEqual(Buffer.from(auth, 'hex'), authOf(key, request))) throw new Error('a request authenticated with another key');
  return request;
}
