/**
 * Which IP addresses the egress proxy may connect to.
 *
 * The allow-list is by name, but a name can resolve anywhere: an attacker who controls a DNS record
 * (or an allowed wildcard) can point it at the pod's loopback, the host's private network, or the
 * cloud metadata service. So every address is checked after resolution, and the proxy connects to
 * exactly the address it checked. Addresses hidden inside IPv6 forms (IPv4-mapped, IPv4-compatible,
 * NAT64, 6to4) are unwrapped and checked as the IPv4 address they reach.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressVerdict = { ok: true } | { ok: false; reason: string };

export type AddressGuardOptions = {
  /**
   * Tests only: let 127.0.0.0/8 and ::1 through so local upstream servers can stand in for the
   * internet. The product never sets this; every other refusal still applies.
   */
  allowLoopbackForTests?: boolean;
};

type V4Range = { base: number; bits: number; reason: string };

function v4(text: string): number {
  const parts = text.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

function range(cidr: string, reason: string): V4Range {
  const [addr, bits] = cidr.split('/');
  return { base: v4(addr!), bits: Number(bits), reason };
}

// Order matters only for the reason text: the most specific entry comes first.
const V4_REFUSED: V4Range[] = [
  range('169.254.169.254/32', 'cloud metadata address'),
  range('100.100.100.200/32', 'cloud metadata address'),
  range('0.0.0.0/8', 'unspecified ("this network") address'),
  range('10.0.0.0/8', 'private address (RFC 1918)'),
  range('100.64.0.0/10', 'carrier-grade NAT address (RFC 6598)'),
  range('127.0.0.0/8', 'loopback address'),
  range('169.254.0.0/16', 'link-local address'),
  range('172.16.0.0/12', 'private address (RFC 1918)'),
  range('192.0.0.0/24', 'IETF protocol assignment address'),
  range('192.0.2.0/24', 'documentation address'),
  range('192.88.99.0/24', '6to4 relay anycast address'),
  range('192.168.0.0/16', 'private address (RFC 1918)'),
  range('198.18.0.0/15', 'benchmarking address'),
  range('198.51.100.0/24', 'documentation address'),
  range('203.0.113.0/24', 'documentation address'),
  range('224.0.0.0/4', 'multicast address'),
  range('240.0.0.0/4', 'reserved or broadcast address'),
];

function inV4(addr: number, r: V4Range): boolean {
  if (r.bits === 0) return true;
  const mask = (0xffffffff << (32 - r.bits)) >>> 0;
  return (addr & mask) >>> 0 === (r.base & mask) >>> 0;
}

function checkV4(addr: number, opts: AddressGuardOptions): AddressVerdict {
  for (const r of V4_REFUSED) {
    if (!inV4(addr, r)) continue;
    if (opts.allowLoopbackForTests && r.reason === 'loopback address') return { ok: true };
    return { ok: false, reason: r.reason };
  }
  return { ok: true };
}

/** Parses an IPv6 text form (with optional embedded IPv4 tail and zone id) into 8 16-bit words. */
export function parseIPv6(text: string): number[] {
  let s = text.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    // Rewrite an embedded dotted IPv4 tail as two hex words so one parser handles every form.
    const n = v4(maybeV4);
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const double = s.indexOf('::');
  const words = (part: string) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  if (double < 0) return words(s).slice(0, 8);
  const head = words(s.slice(0, double));
  const rest = words(s.slice(double + 2));
  return [...head, ...Array(Math.max(0, 8 - head.length - rest.length)).fill(0), ...rest].slice(0, 8);
}

function checkV6(text: string, opts: AddressGuardOptions): AddressVerdict {
  const w = parseIPv6(text);
  const embeddedV4 = ((w[6]! << 16) >>> 0) + w[7]!;
  const allZero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (allZero(0, 8)) return { ok: false, reason: 'unspecified address' };
  if (allZero(0, 7) && w[7] === 1) return opts.allowLoopbackForTests ? { ok: true } : { ok: false, reason: 'loopback address' };
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible) reach the IPv4 address.
  if (allZero(0, 5) && (w[5] === 0xffff || w[5] === 0)) return checkV4(embeddedV4, opts);
  // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765).
  if (allZero(0, 4) && w[4] === 0xffff && w[5] === 0) return checkV4(embeddedV4, opts);
  // 64:ff9b::/96 NAT64 reaches the embedded IPv4 address; 64:ff9b:1::/48 is site-local NAT64.
  if (w[0] === 0x64 && w[1] === 0xff9b && allZero(2, 6)) return checkV4(embeddedV4, opts);
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1) return { ok: false, reason: 'local-use NAT64 address' };
  // 2002::/16 6to4 embeds the IPv4 address in words 1-2.
  if (w[0] === 0x2002) return checkV4(((w[1]! << 16) >>> 0) + w[2]!, opts);
  if (w[0] === 0xfd00 && w[1] === 0x0ec2 && allZero(2, 7) && w[7] === 0x254) return { ok: false, reason: 'cloud metadata address' };
  if ((w[0]! & 0xfe00) === 0xfc00) return { ok: false, reason: 'unique local (private) address' };
  if ((w[0]! & 0xffc0) === 0xfe80) return { ok: false, reason: 'link-local address' };
  if ((w[0]! & 0xffc0) === 0xfec0) return { ok: false, reason: 'site-local address' };
  if ((w[0]! & 0xff00) === 0xff00) return { ok: false, reason: 'multicast address' };
  if (w[0] === 0x2001 && w[1] === 0x0db8) return { ok: false, reason: 'documentation address' };
  if (w[0] === 0x2001 && w[1] === 0) return { ok: false, reason: 'Teredo tunnel address' };
  if (w[0] === 0x0100 && allZero(1, 4)) return { ok: false, reason: 'discard-only address' };
  return { ok: true };
}

export class AddressGuard {
  constructor(private readonly opts: AddressGuardOptions = {}) {}

  get allowsLoopbackForTests(): boolean {
    return this.opts.allowLoopbackForTests === true;
  }

  /** `_host` (the name it was resolved from) is ignored here; see TestExemptGuard in test-resolve.ts. */
  check(address: string, _host?: string): AddressVerdict {
    if (isIPv4(address)) return checkV4(v4(address), this.opts);
    if (isIPv6(address.replace(/%.*$/, ''))) return checkV6(address, this.opts);
    return { ok: false, reason: `not an IP address: ${JSON.stringify(address)}` };
  }
}

/** True when `host` is written as an IP address (v4 dotted, v6 bracketed or not, or numeric forms). */
export function isIpLiteral(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIPv4(h) || isIPv6(h.replace(/%.*$/, ''))) return true;
  // Resolvers also accept shorthand numeric forms (2130706433, 0x7f.1, 127.1). No top-level
  // domain is numeric, so a name whose last label is numeric is an address in disguise.
  const last = h.split('.').filter(Boolean).pop() ?? '';
  return /^(0x[0-9a-f]*|[0-9]+)$/i.test(last);
}
