/**
 * The first bytes a client sends down a CONNECT tunnel, judged before any of them reaches the
 * target (SECURITY.md, "Egress proxy", "The TLS server name is the CONNECT name"). The allow-list
 * is checked on the CONNECT name, but a CDN routes a TLS connection by the server name (SNI) in its
 * ClientHello: `CONNECT allowed.cdn.example:443` carrying `SNI: evil.example` reached a host that
 * is not on the list through the allowed front's address. So a tunnel that starts with a TLS
 * handshake must start with one ClientHello, reassembled across records, naming exactly the
 * CONNECT host; one without a server name, with two, or hiding the real one (Encrypted Client
 * Hello, the older ESNI) is refused. The parse is strict: every length must fit exactly, and an
 * extension given twice is refused (two parsers that pick different copies are how a check is
 * passed and another name reached). A tunnel that does not start with a TLS handshake record is
 * not TLS and is relayed unread (a known limit, in SECURITY.md).
 *
 * Pure: bytes in, a verdict out; proxy/egress-connection.ts holds the bytes until it is given.
 */
import { isIpLiteral } from './address-guard.ts';
import { isValidHostname, normalizeHost } from './egress-policy.ts';

export type HelloVerdict = { kind: 'more' } | { kind: 'pass'; serverName: string | null } | { kind: 'refuse'; reason: string };

/** The most a ClientHello may take, record headers included (post-quantum key shares make them a few KiB). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ECH = 0xfe0d;
const EXT_ESNI = 0xffce;
const MAX_RECORD = 16384 + 2048;

/**
 * Judges the bytes a tunnel's client has sent so far. `ended`: the client has sent all it will
 * (a ClientHello still incomplete then is refused).
 */
export function judgeTunnelStart(buf: Buffer, connectHost: string, ended = false): HelloVerdict {
  if (buf.length === 0) return ended ? { kind: 'pass', serverName: null } : { kind: 'more' };
  if (buf[0] !== HANDSHAKE) return notHandshake(buf, ended);
  if (buf.length > MAX_CLIENT_HELLO_BYTES) return refuse(`TLS ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes`);
  const hs = handshakeBytes(buf);
  if (typeof hs === 'string') return refuse(hs);
  if (hs.length < 4) return more(ended);
  if (hs[0] !== CLIENT_HELLO) return refuse('the first TLS handshake message is not a ClientHello');
  const length = hs.readUIntBE(1, 3);
  if (length + 4 > MAX_CLIENT_HELLO_BYTES) return refuse(`TLS ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes`);
  if (hs.length < length + 4) return more(ended);
  if (hs.length > length + 4) return refuse('bytes after the ClientHello in its handshake records');
  const names = serverNames(hs.subarray(4));
  if (typeof names === 'string') return refuse(names);
  if (names.length === 0) return refuse(`TLS ClientHello without a server name (SNI); it must name ${connectHost}`);
  if (names.length > 1) return refuse('TLS ClientHello with more than one server name');
  const sni = names[0]!;
  const clean = sni.replace(/[^\x20-\x7e]/g, '?').slice(0, 255);
  if (normalizeHost(sni) !== normalizeHost(connectHost) || !isValidHostname(normalizeHost(sni)) || isIpLiteral(sni)) {
    return refuse(`TLS server name ${JSON.stringify(clean)} is not the CONNECT host ${connectHost}`);
  }
  return { kind: 'pass', serverName: clean };
}

/**
 * A tunnel that does not open with a handshake record: refused if it is TLS all the same (another
 * record type first, which a lenient server may skip before the ClientHello; an SSLv2-format
 * ClientHello, which carries no server name), else not TLS and not judged.
 */
function notHandshake(buf: Buffer, ended: boolean): HelloVerdict {
  const first = buf[0]!;
  const recordType = first >= 0x14 && first <= 0x18;
  const sslv2 = (first & 0x80) !== 0;
  if ((recordType && buf.length < 2) || (sslv2 && buf.length < 3)) return ended ? { kind: 'pass', serverName: null } : { kind: 'more' };
  if (recordType && buf[1] === 0x03) return refuse('a TLS record other than a ClientHello opens the tunnel');
  if (sslv2 && buf[2] === CLIENT_HELLO) return refuse('an SSLv2-format ClientHello (it carries no server name)');
  return { kind: 'pass', serverName: null };
}

const refuse = (reason: string): HelloVerdict => ({ kind: 'refuse', reason });
const more = (ended: boolean): HelloVerdict => (ended ? refuse('the client ended the tunnel in the middle of its TLS ClientHello') : { kind: 'more' });

/**
 * The handshake bytes of the leading handshake records (a ClientHello may span several), read no
 * further than the ClientHello's end (what follows, 0-RTT data say, is not judged), or why they are refused.
 */
function handshakeBytes(buf: Buffer): Buffer | string {
  const parts: Buffer[] = [];
  let got = 0;
  let at = 0;
  while (at + 5 <= buf.length) {
    if (buf[at] !== HANDSHAKE) return 'a TLS record other than a handshake before the ClientHello was complete';
    if (buf[at + 1] !== 0x03) return 'not a TLS record version';
    const len = buf.readUInt16BE(at + 3);
    if (len === 0 || len > MAX_RECORD) return 'a TLS record length out of range';
    const end = at + 5 + len;
    const part = buf.subarray(at + 5, Math.min(end, buf.length));
    parts.push(part);
    got += part.length;
    at = end;
    if (got >= 4) {
      const first = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (got >= first.readUIntBE(1, 3) + 4) break; // the whole ClientHello is here
    }
  }
  return Buffer.concat(parts);
}

/** The host names of the ClientHello's server_name extension (body: the message after its 4-byte header), or why it is refused. */
function serverNames(body: Buffer): string[] | string {
  const r = new Reader(body);
  r.skip(2 + 32); // legacy_version, random
  r.skip(r.u8()); // legacy_session_id
  r.skip(r.u16()); // cipher_suites
  r.skip(r.u8()); // legacy_compression_methods
  if (r.left === 0) return []; // no extensions at all: no server name
  const extEnd = r.u16();
  if (r.bad || extEnd !== r.left) return 'a malformed TLS ClientHello';
  const seen = new Set<number>();
  let names: string[] = [];
  while (r.left > 0) {
    const type = r.u16();
    const data = r.take(r.u16());
    if (r.bad) return 'a malformed TLS ClientHello';
    if (seen.has(type)) return `TLS ClientHello with extension ${type} twice`;
    seen.add(type);
    if (type === EXT_ECH || type === EXT_ESNI) return 'TLS ClientHello with an encrypted server name (ECH/ESNI): the name it reaches cannot be checked';
    if (type === EXT_SERVER_NAME) {
      const list = sniList(data);
      if (typeof list === 'string') return list;
      names = list;
    }
  }
  return names;
}

function sniList(data: Buffer): string[] | string {
  const r = new Reader(data);
  const listLen = r.u16();
  if (r.bad || listLen !== r.left) return 'a malformed TLS server_name extension';
  const names: string[] = [];
  while (r.left > 0) {
    const type = r.u8();
    const name = r.take(r.u16());
    if (r.bad) return 'a malformed TLS server_name extension';
    if (type !== 0) return `TLS server name of unknown type ${type}`;
    names.push(name.toString('latin1'));
  }
  return names;
}

/** A bounds-checked reader: a read past the end sets `bad` instead of throwing. */
class Reader {
  private at = 0;
  bad = false;
  constructor(private readonly buf: Buffer) {}
  get left(): number {
    return this.bad ? 0 : this.buf.length - this.at;
  }
  private need(n: number): boolean {
    if (this.bad || this.at + n > this.buf.length) this.bad = true;
    return !this.bad;
  }
  u8(): number {
    return this.need(1) ? this.buf[this.at++]! : 0;
  }
  u16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  skip(n: number): void {
    if (this.need(n)) this.at += n;
  }
  take(n: number): Buffer {
    if (!this.need(n)) return Buffer.alloc(0);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
