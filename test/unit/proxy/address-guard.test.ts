import { describe, expect, test } from 'bun:test';
import { AddressGuard, isIpLiteral, parseIPv6 } from '../../../proxy/address-guard.ts';

const guard = new AddressGuard();

describe('address guard (product default)', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /loopback/],
    ['127.255.3.4', /loopback/],
    ['::1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.254', /carrier-grade NAT/],
    ['169.254.169.254', /cloud metadata/],
    ['169.254.1.1', /link-local/],
    ['fd00:ec2::254', /cloud metadata/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['fe80::1', /link-local/],
    ['fc00::5', /unique local/],
    ['255.255.255.255', /reserved or broadcast/],
    // IPv6 spellings that reach a refused IPv4 address are unwrapped and refused too.
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:169.254.169.254', /cloud metadata/],
    ['::ffff:10.0.0.1', /private/],
    ['::127.0.0.1', /loopback/],
    ['64:ff9b::a9fe:a9fe', /cloud metadata/],
    ['2002:7f00:1::', /loopback/],
    ['2001:db8::1', /documentation/],
  ];
  for (const [addr, why] of refused) {
    test(`refuses ${addr}`, () => {
      const v = guard.check(addr);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toMatch(why);
    });
  }

  for (const addr of ['160.79.104.10', '104.18.32.47', '2606:4700::6810:1', '172.32.0.1', '100.128.0.1', '::ffff:8.8.8.8']) {
    test(`allows public ${addr}`, () => expect(guard.check(addr).ok).toBe(true));
  }

  test('the loopback override for tests admits only loopback', () => {
    const testGuard = new AddressGuard({ allowLoopbackForTests: true });
    expect(testGuard.check('127.0.0.1').ok).toBe(true);
    expect(testGuard.check('::1').ok).toBe(true);
    expect(testGuard.check('10.0.0.1').ok).toBe(false);
    expect(testGuard.check('169.254.169.254').ok).toBe(false);
  });

  test('recognises IP literals in every spelling a resolver would accept', () => {
    for (const h of ['127.0.0.1', '[::1]', '::1', '2130706433', '127.1', '0x7f.1', '0x7f000001', '[fd00:ec2::254]']) expect(isIpLiteral(h)).toBe(true);
    for (const h of ['api.anthropic.com', 'x1.example', 'chatgpt.com']) expect(isIpLiteral(h)).toBe(false);
  });
});

// Every refused IPv4 range, its first and last address, and the allowed neighbours just outside it
// (null where the neighbour is itself in another refused range or does not exist).
const V4_RANGES: { range: string; first: string; last: string; reason: RegExp; below: string | null; above: string | null }[] = [
  { range: '0.0.0.0/8', first: '0.0.0.0', last: '0.255.255.255', reason: /unspecified/, below: null, above: '1.0.0.0' },
  { range: '10.0.0.0/8', first: '10.0.0.0', last: '10.255.255.255', reason: /private/, below: '9.255.255.255', above: '11.0.0.0' },
  { range: '100.64.0.0/10', first: '100.64.0.0', last: '100.127.255.255', reason: /carrier-grade NAT/, below: '100.63.255.255', above: '100.128.0.0' },
  { range: '127.0.0.0/8', first: '127.0.0.0', last: '127.255.255.255', reason: /loopback/, below: '126.255.255.255', above: '128.0.0.0' },
  { range: '169.254.0.0/16', first: '169.254.0.0', last: '169.254.255.255', reason: /link-local/, below: '169.253.255.255', above: '169.255.0.0' },
  { range: '172.16.0.0/12', first: '172.16.0.0', last: '172.31.255.255', reason: /private/, below: '172.15.255.255', above: '172.32.0.0' },
  { range: '192.0.0.0/24', first: '192.0.0.0', last: '192.0.0.255', reason: /IETF protocol assignment/, below: '191.255.255.255', above: '192.0.1.0' },
  { range: '192.0.2.0/24', first: '192.0.2.0', last: '192.0.2.255', reason: /documentation/, below: '192.0.1.255', above: '192.0.3.0' },
  { range: '192.88.99.0/24', first: '192.88.99.0', last: '192.88.99.255', reason: /6to4 relay/, below: '192.88.98.255', above: '192.88.100.0' },
  { range: '192.168.0.0/16', first: '192.168.0.0', last: '192.168.255.255', reason: /private/, below: '192.167.255.255', above: '192.169.0.0' },
  { range: '198.18.0.0/15', first: '198.18.0.0', last: '198.19.255.255', reason: /benchmarking/, below: '198.17.255.255', above: '198.20.0.0' },
  { range: '198.51.100.0/24', first: '198.51.100.0', last: '198.51.100.255', reason: /documentation/, below: '198.51.99.255', above: '198.51.101.0' },
  { range: '203.0.113.0/24', first: '203.0.113.0', last: '203.0.113.255', reason: /documentation/, below: '203.0.112.255', above: '203.0.114.0' },
  { range: '224.0.0.0/4', first: '224.0.0.0', last: '239.255.255.255', reason: /multicast/, below: '223.255.255.255', above: null },
  { range: '240.0.0.0/4', first: '240.0.0.0', last: '255.255.255.255', reason: /reserved or broadcast/, below: null, above: null },
];

/** The 6to4 address (2002:WWXX:YYZZ::1) that routes to the IPv4 address `dotted`. */
function sixToFour(dotted: string): string {
  const [a, b, c, d] = dotted.split('.').map((x) => Number(x).toString(16).padStart(2, '0'));
  return `2002:${a}${b}:${c}${d}::1`;
}

function refusedFor(addr: string, why: RegExp, g: AddressGuard = guard): void {
  const v = g.check(addr);
  expect({ addr, ok: v.ok }).toEqual({ addr, ok: false });
  if (!v.ok) expect(v.reason).toMatch(why);
}

function allowed(addr: string, g: AddressGuard = guard): void {
  expect({ addr, verdict: g.check(addr) }).toEqual({ addr, verdict: { ok: true } });
}

describe('address guard: every refused IPv4 range, edge to edge', () => {
  for (const r of V4_RANGES) {
    test(`refuses all of ${r.range} (${r.first} to ${r.last}) and nothing just outside it`, () => {
      refusedFor(r.first, r.reason);
      refusedFor(r.last, r.reason);
      if (r.below) allowed(r.below);
      if (r.above) allowed(r.above);
    });
    test(`refuses ${r.range} when reached through IPv4-mapped, NAT64 and 6to4 spellings`, () => {
      refusedFor(`::ffff:${r.last}`, r.reason);
      refusedFor(`64:ff9b::${r.first}`, r.reason);
      refusedFor(sixToFour(r.last), r.reason);
      if (r.below) allowed(`::ffff:${r.below}`);
    });
  }

  test('the two cloud metadata addresses are named as such, their neighbours by their wider range', () => {
    refusedFor('169.254.169.254', /cloud metadata/);
    refusedFor('169.254.169.253', /link-local/);
    refusedFor('169.254.169.255', /link-local/);
    refusedFor('100.100.100.200', /cloud metadata/);
    refusedFor('100.100.100.199', /carrier-grade NAT/);
    refusedFor('100.100.100.201', /carrier-grade NAT/);
  });
});

describe('address guard: every refused IPv6 range, edge to edge', () => {
  const v6: { what: string; refused: [string, RegExp][]; allowed: string[] }[] = [
    { what: 'unspecified and loopback', refused: [['::', /unspecified/], ['::1', /loopback/], ['0:0:0:0:0:0:0:1', /loopback/]], allowed: [] },
    { what: 'unique local fc00::/7', refused: [['fc00::', /unique local/], ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /unique local/]], allowed: ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::'] },
    { what: 'link-local fe80::/10', refused: [['fe80::', /link-local/], ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /link-local/], ['fe80::1%eth0', /link-local/]], allowed: ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
    { what: 'site-local fec0::/10', refused: [['fec0::', /site-local/], ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /site-local/]], allowed: [] },
    { what: 'multicast ff00::/8', refused: [['ff00::', /multicast/], ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', /multicast/]], allowed: [] },
    { what: 'documentation 2001:db8::/32', refused: [['2001:db8::', /documentation/], ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', /documentation/]], allowed: ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::'] },
    { what: 'Teredo 2001::/32', refused: [['2001::', /Teredo/], ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', /Teredo/]], allowed: ['2001:1::', '2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff'] },
    { what: 'discard-only 100::/64', refused: [['100::', /discard-only/], ['100::ffff:ffff:ffff:ffff', /discard-only/]], allowed: ['100:0:0:1::', 'ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '101::'] },
    { what: 'local-use NAT64 64:ff9b:1::/48', refused: [['64:ff9b:1::', /local-use NAT64/], ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', /local-use NAT64/]], allowed: ['64:ff9b:2::', '64:ff9a:1::', '65:ff9b:1::'] },
    { what: 'AWS metadata fd00:ec2::254', refused: [['fd00:ec2::254', /cloud metadata/], ['fd00:ec2::253', /unique local/], ['fd00:ec2::1:254', /unique local/]], allowed: [] },
  ];
  for (const r of v6) {
    test(`refuses ${r.what} and allows its neighbours`, () => {
      for (const [addr, why] of r.refused) refusedFor(addr, why);
      for (const addr of r.allowed) allowed(addr);
    });
  }

  test('IPv4 hidden in IPv6 is checked as the IPv4 address it reaches, in every embedding', () => {
    refusedFor('::10.0.0.1', /private/); // IPv4-compatible
    allowed('::8.8.8.8');
    refusedFor('::ffff:0:10.0.0.1', /private/); // IPv4-translated (RFC 2765)
    allowed('::ffff:0:8.8.8.8');
    refusedFor('64:ff9b::a00:1', /private/); // NAT64, hex tail
    allowed('64:ff9b::808:808');
    allowed('64:ff9b::1:0:a00:1'); // outside the NAT64 /96: no gateway translates it
    refusedFor('2002:a00:1::', /private/); // 6to4: words 1-2
    refusedFor('2002:c0a8:101::1', /private/);
    allowed('2002:808:808::');
    allowed('2003:a00:1::');
    // Not an embedding: a word other than ffff or 0 before the tail, or a non-zero prefix.
    allowed('::fffe:7f00:1');
    allowed('::1:0:7f00:1');
    allowed('1::ffff:a00:1');
    allowed('1::a00:1');
    allowed('1::ffff:0:a00:1');
    // A zone id does not hide the embedded address.
    refusedFor('::ffff:10.0.0.1%eth0', /private/);
  });

  test('the unspecified address is named as such, not as an IPv4 "this network" address', () => {
    expect(guard.check('::')).toEqual({ ok: false, reason: 'unspecified address' });
    expect(guard.check('::1')).toEqual({ ok: false, reason: 'loopback address' });
  });

  test('the metadata address is exact: other fd00:ec2 addresses are plain unique-local ones', () => {
    expect(guard.check('fd00:ec2::254')).toEqual({ ok: false, reason: 'cloud metadata address' });
    refusedFor('fd00:ec2:1::254', /unique local/);
    refusedFor('fd00:ec3::254', /unique local/);
    refusedFor('fd01:ec2::254', /unique local/);
  });

  test('the IPv6 parser also takes bracketed forms with a zone id', () => {
    expect(parseIPv6('[fe80::1%eth0]')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:10.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
  });

  test('discard-only is 100::/64 only', () => {
    allowed('100:1::');
    allowed('100:0:1::');
  });

  test('a text that is not an IP address is refused and quoted', () => {
    for (const text of ['example.com', '', '1.2.3', '[::1]', '::g']) {
      const v = guard.check(text);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toBe(`not an IP address: ${JSON.stringify(text)}`);
    }
  });
});

describe('address guard: the loopback override for tests', () => {
  const testGuard = new AddressGuard({ allowLoopbackForTests: true });

  test('says whether it is on', () => {
    expect(testGuard.allowsLoopbackForTests).toBe(true);
    expect(guard.allowsLoopbackForTests).toBe(false);
    expect(new AddressGuard({ allowLoopbackForTests: false }).allowsLoopbackForTests).toBe(false);
  });

  test('admits loopback in every spelling and still refuses every other range', () => {
    for (const addr of ['127.0.0.1', '127.255.255.255', '::1', '::ffff:127.0.0.1', '2002:7f00:1::']) allowed(addr, testGuard);
    for (const r of V4_RANGES.filter((x) => x.range !== '127.0.0.0/8')) refusedFor(r.first, r.reason, testGuard);
    refusedFor('::', /unspecified/, testGuard);
    refusedFor('fe80::1', /link-local/, testGuard);
  });
});

describe('isIpLiteral', () => {
  test('a name whose last label is numeric is an address in disguise; any other name is a name', () => {
    for (const h of ['example.123', '10.0.0.1.', '0X7F.1', '[fe80::1%25eth0]', 'fe80::1%eth0']) expect({ h, literal: isIpLiteral(h) }).toEqual({ h, literal: true });
    for (const h of ['example.com', 'a1b2', '123.example', '0xg.example', '', 'localhost']) expect({ h, literal: isIpLiteral(h) }).toEqual({ h, literal: false });
  });
});
