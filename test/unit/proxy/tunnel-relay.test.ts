/**
 * The bytes of an approved tunnel, end to end through the pod's path (client → bridge → egress
 * proxy on its Unix socket → target): every byte arrives, in order, whatever the speed of either
 * end; a FIN travels through without closing the other direction; and a reader that stops reading
 * cannot make the bridge or the proxy hold the stream in memory (proxy/socket-relay.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressGuard } from '../../../proxy/address-guard.ts';
import { MemoryAuditLog } from '../../../proxy/audit-log.ts';
import { Bridge } from '../../../proxy/bridge.ts';
import { EgressPolicy } from '../../../proxy/egress-policy.ts';
import { EgressServer } from '../../../proxy/egress-server.ts';
import { StaticResolver } from '../../../proxy/resolver.ts';
import { openTunnel, sleep } from './helpers.ts';

const MiB = 2 ** 20;

/** A target whose behaviour per connection is chosen by the first line sent through the tunnel; `accepted` counts bytes its socket took. */
type Target = { port: number; accepted: number; close(): Promise<void> };

/** A deterministic byte stream, so the receiver can check order as well as count. */
function pattern(offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (offset + i) * 31 % 251;
  return b;
}

async function startTarget(): Promise<Target> {
  const state: Target = { port: 0, accepted: 0, close: async () => {} };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    let line = '';
    const onData = (d: Buffer) => {
      line += d.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0) return;
      s.off('data', onData);
      const [cmd, arg] = line.slice(0, nl).split(' ');
      if (cmd === 'stream') {
        // `stream N`: write N bytes of the pattern as fast as the socket takes them, then FIN at once.
        const total = Number(arg);
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            const n = Math.min(256 * 1024, total - sent);
            const ok = s.write(pattern(sent, n), () => (state.accepted += n));
            sent += n;
            if (!ok) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      } else if (cmd === 'echo-after-fin') {
        // Collects what the client sends until its FIN, then answers with the count.
        let got = line.length - nl - 1;
        s.on('data', (c: Buffer) => (got += c.length));
        s.on('end', () => s.end(`got ${got} bytes before your FIN\n`));
      }
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

let target: Target;
let dir: string;
let proxy: EgressServer;
let bridge: Bridge;
let bridgePort: number;
let authority: string;

beforeAll(async () => {
  target = await startTarget();
  dir = mkdtempSync(join(tmpdir(), 'peers-relay-'));
  authority = `bulk.peers.test:${target.port}`;
  proxy = new EgressServer({
    policy: EgressPolicy.fromLists([authority]),
    resolver: new StaticResolver({ 'bulk.peers.test': ['127.0.0.1'] }),
    guard: new AddressGuard({ allowLoopbackForTests: true }),
    audit: new MemoryAuditLog(),
  });
  await proxy.listen({ path: join(dir, 'egress.sock') });
  bridge = new Bridge({ path: join(dir, 'egress.sock') });
  bridgePort = await bridge.listen('127.0.0.1', 0);
});
afterAll(async () => {
  await bridge.close();
  await proxy.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a tunnel through the bridge and the egress proxy', () => {
  test('64 MiB to a client that keeps stopping to read arrive complete and in order, though the target closes right after its last byte', async () => {
    const size = 64 * MiB;
    const sock = await openTunnel(bridgePort, authority);
    const received = createHash('sha256');
    let got = 0;
    let nextPause = 4 * MiB;
    const done = new Promise<void>((resolve) => {
      sock.on('data', (d: Buffer) => {
        received.update(d);
        got += d.length;
        if (got >= nextPause) {
          // A slow reader: the proxy and the bridge must hold the rest back, not drop or reorder it.
          nextPause += 4 * MiB;
          sock.pause();
          setTimeout(() => sock.resume(), 20);
        }
      });
      sock.on('close', () => resolve());
    });
    sock.write(`stream ${size}\n`);
    await done;
    expect(got).toBe(size);
    const expected = createHash('sha256');
    for (let off = 0; off < size; off += MiB) expected.update(pattern(off, MiB));
    expect(received.digest('hex')).toBe(expected.digest('hex'));
  }, 60_000);

  test("the client's FIN reaches the target while the way back stays open for its answer", async () => {
    const sock = await openTunnel(bridgePort, authority);
    let reply = '';
    sock.on('data', (d) => (reply += d.toString('latin1')));
    const closed = new Promise((r) => sock.on('close', r));
    sock.write('echo-after-fin\n');
    sock.end('0123456789'); // half-close: nothing more to send, still reading
    await closed;
    expect(reply).toBe('got 10 bytes before your FIN\n');
  });

  test('a client that stops reading does not make the bridge or the proxy hold the stream: the target is held back', async () => {
    const size = 512 * MiB;
    const before = target.accepted;
    const sock = await openTunnel(bridgePort, authority);
    sock.write(`stream ${size}\n`);
    sock.pause(); // never reads again
    // Wait until the target can write no more (nothing accepted for half a second), or has written it all.
    let last = -1;
    while (target.accepted - before !== last && target.accepted - before < size) {
      last = target.accepted - before;
      await sleep(500);
    }
    const accepted = target.accepted - before;
    sock.destroy();
    // What is in flight fits in the sockets' kernel buffers and one read per relay (about 10 MiB
    // here); a relay that kept reading would hold the stream in memory and let the target go on.
    expect(accepted).toBeLessThan(32 * MiB);
  }, 60_000);
});
