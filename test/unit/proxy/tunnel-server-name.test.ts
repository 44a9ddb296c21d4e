/**
 * Attack: domain fronting through an allowed name. The allow-list is checked on the CONNECT name,
 * but a shared front (a CDN) routes a TLS connection by the server name (SNI) in its ClientHello:
 * `CONNECT allowed.peers.test:443` carrying `SNI: evil.example` reaches a host that is not on the
 * list, through the allowed front's address. Variants: no SNI, two names, the extension twice, the
 * name hidden by Encrypted Client Hello, the ClientHello cut into many records.
 *
 * The property (SECURITY.md, "The TLS server name is the CONNECT name"): a tunnel whose first bytes
 * are a TLS handshake reaches its target only if its one ClientHello names exactly the CONNECT
 * host; otherwise it is closed before any byte reaches the target, with an audit record saying why.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import net from 'node:net';
import tls from 'node:tls';
import { judgeTunnelStart } from '../../../proxy/tls-client-hello.ts';
import { openTunnel, type ProxyFixture, startProxy } from './helpers.ts';
import { waitFor } from '../../wait-for.ts';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), u16(data.length), data]);
const sniExt = (...names: string[]) => {
  const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), u16(n.length), Buffer.from(n, 'latin1')])));
  return ext(0, Buffer.concat([u16(list.length), list]));
};

/** A ClientHello handshake message with the given extensions (after a fixed version, random, session id, suites, compression). */
function helloMessage(exts: Buffer[]): Buffer {
  const extBytes = Buffer.concat(exts);
  const body = Buffer.concat([u16(0x0303), Buffer.alloc(32, 7), Buffer.from([0]), u16(2), u16(0x1301), Buffer.from([1, 0]), u16(extBytes.length), extBytes]);
  return Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

/** The message in TLS handshake records of at most `size` bytes each. */
function records(msg: Buffer, size = 16384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < msg.length; at += size) {
    const part = msg.subarray(at, at + size);
    out.push(Buffer.concat([Buffer.from([0x16, 3, 1]), u16(part.length), part]));
  }
  return Buffer.concat(out);
}

const hello = (...exts: Buffer[]) => records(helloMessage(exts));
const HOST = 'allowed.peers.test';

describe('judgeTunnelStart', () => {
  test('a ClientHello naming the CONNECT host passes, in any case, with a trailing dot, in records of any size', () => {
    expect(judgeTunnelStart(hello(sniExt(HOST)), HOST)).toEqual({ kind: 'pass', serverName: HOST });
    expect(judgeTunnelStart(hello(sniExt('Allowed.Peers.Test.')), HOST).kind).toBe('pass');
    expect(judgeTunnelStart(records(helloMessage([ext(10, Buffer.alloc(4)), sniExt(HOST)]), 7), HOST).kind).toBe('pass');
    // Bytes after the ClientHello (0-RTT data) are not judged.
    expect(judgeTunnelStart(Buffer.concat([hello(sniExt(HOST)), Buffer.from([0x14, 3, 3, 0, 1, 1, 0x17, 3, 3, 0, 1, 9])]), HOST).kind).toBe('pass');
  });

  test('every way to reach another name than the CONNECT host is refused', () => {
    const refused = (buf: Buffer, ended = false) => {
      const v = judgeTunnelStart(buf, HOST, ended);
      return v.kind === 'refuse' ? v.reason : v.kind;
    };
    expect(refused(hello(sniExt('evil.example')))).toContain('is not the CONNECT host');
    expect(refused(hello(sniExt('sub.allowed.peers.test')))).toContain('is not the CONNECT host');
    expect(refused(hello(ext(10, Buffer.alloc(4))))).toContain('without a server name');
    expect(refused(hello())).toContain('without a server name');
    expect(refused(hello(sniExt(HOST, 'evil.example')))).toContain('more than one server name');
    expect(refused(hello(sniExt(HOST), sniExt('evil.example')))).toContain('extension 0 twice');
    expect(refused(hello(sniExt(HOST), ext(0xfe0d, Buffer.alloc(40, 1))))).toContain('encrypted server name');
    expect(refused(hello(sniExt(HOST), ext(0xffce, Buffer.alloc(40, 1))))).toContain('encrypted server name');
    expect(refused(hello(sniExt('127.0.0.1')))).toContain('is not the CONNECT host');
    // Framing a second parser could read another way.
    const msg = helloMessage([sniExt(HOST)]);
    const longer = Buffer.from(msg);
    longer[3] = longer[3]! + 1; // the message claims one byte more than it has, then a byte follows
    expect(refused(records(Buffer.concat([longer, Buffer.from([0])]).subarray(0, msg.length), 16384), true)).toContain('ended the tunnel in the middle');
    expect(refused(Buffer.concat([records(msg.subarray(0, 20)), Buffer.from([0x17, 3, 3, 0, 1, 0])]))).toContain('other than a handshake');
    expect(refused(Buffer.concat([Buffer.from([0x16, 3, 1]), u16(msg.length + 3), msg, Buffer.from([1, 0, 0])]))).toContain('bytes after the ClientHello');
    expect(refused(records(Buffer.from([2, 0, 0, 1, 0])))).toContain('not a ClientHello');
    expect(refused(Buffer.alloc(70 * 1024, 0x16))).toContain('larger than');
    // TLS that does not open with a handshake record: a ChangeCipherSpec or alert first, an SSLv2-format hello.
    expect(refused(Buffer.concat([Buffer.from([0x14, 3, 3, 0, 1, 1]), hello(sniExt('evil.example'))]))).toContain('other than a ClientHello opens');
    expect(refused(Buffer.from([0x15, 3, 1, 0, 2, 1, 0]))).toContain('other than a ClientHello opens');
    expect(refused(Buffer.from([0x80, 0x2e, 0x01, 0x00, 0x02]))).toContain('SSLv2');
    // Incomplete: wait for more, unless the client has ended.
    expect(refused(hello(sniExt(HOST)).subarray(0, 30))).toBe('more');
    expect(refused(hello(sniExt(HOST)).subarray(0, 30), true)).toContain('in the middle');
  });

  test('a tunnel that does not start with a TLS handshake is not judged', () => {
    expect(judgeTunnelStart(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), HOST).kind).toBe('pass');
    expect(judgeTunnelStart(Buffer.alloc(0), HOST).kind).toBe('more');
    expect(judgeTunnelStart(Buffer.alloc(0), HOST, true).kind).toBe('pass');
  });
});

/** A TCP target that records every byte it is sent. */
let target: net.Server;
let targetPort = 0;
const received: Buffer[] = [];
let proxy: ProxyFixture;
beforeAll(async () => {
  target = net.createServer((s) => {
    s.on('data', (d: Buffer) => received.push(d));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  targetPort = (target.address() as net.AddressInfo).port;
  proxy = await startProxy({ allow: [`${HOST}:${targetPort}`], names: { [HOST]: ['127.0.0.1'] }, allowLoopbackForTests: true });
});
afterAll(async () => {
  await proxy.close();
  target.close();
});

/** Opens a tunnel, sends `bytes` (or runs a real TLS client naming `servername`), and waits until the proxy closes it or the target has bytes. */
async function through(send: Buffer | { servername: string }): Promise<{ closed: boolean; bytesAtTarget: number }> {
  received.length = 0;
  const sock = await openTunnel(proxy.port, `${HOST}:${targetPort}`);
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.on('error', () => {});
  if (Buffer.isBuffer(send)) sock.write(send);
  else tls.connect({ socket: sock, servername: send.servername, rejectUnauthorized: false }).on('error', () => {});
  await waitFor('the tunnel closed or bytes at the target', () => closed || received.length > 0, 3000);
  const bytesAtTarget = received.reduce((n, b) => n + b.length, 0);
  sock.destroy();
  return { closed, bytesAtTarget };
}

describe('through the real proxy', () => {
  test("a real TLS client naming the CONNECT host: its ClientHello reaches the target", async () => {
    const r = await through({ servername: HOST });
    expect(r.bytesAtTarget).toBeGreaterThan(0);
    expect(received[0]![0]).toBe(0x16);
  });

  test('a real TLS client naming another host through the allowed name: closed, nothing reaches the target, audited', async () => {
    const r = await through({ servername: 'evil.example' });
    expect(r).toEqual({ closed: true, bytesAtTarget: 0 });
    await waitFor('the audit record', () => proxy.audit.records.some((a) => a.reason.includes('evil.example')), 3000);
    expect(proxy.audit.records.find((a) => a.reason.includes('evil.example'))).toMatchObject({ decision: 'deny', status: 403, host: HOST, bytes_up: 0, reason: 'tunnel closed: TLS server name "evil.example" is not the CONNECT host allowed.peers.test' });
  });

  test('Encrypted Client Hello, no server name, two names, and a ClientHello cut into 1-byte writes naming another host: all closed before a byte goes on', async () => {
    for (const bytes of [hello(sniExt(HOST), ext(0xfe0d, Buffer.alloc(40, 1))), hello(), hello(sniExt(HOST, 'evil.example'))]) {
      expect(await through(bytes)).toEqual({ closed: true, bytesAtTarget: 0 });
    }
    received.length = 0;
    const sock = await openTunnel(proxy.port, `${HOST}:${targetPort}`);
    let closed = false;
    sock.on('close', () => (closed = true));
    sock.on('error', () => {});
    for (const b of records(helloMessage([sniExt('evil.example')]), 9)) {
      if (closed) break;
      sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('the tunnel closed', () => closed, 3000);
    expect(received.length).toBe(0);
  });
});
