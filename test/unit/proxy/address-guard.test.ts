import { describe, expect, test } from 'bun:test';
import { AddressGuard, isIpLiteral } from '../../../proxy/address-guard.ts';

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
