/**
 * The production path is TLS inside the egress tunnel: verify it against a local HTTPS server with
 * a throwaway certificate (openssl, from the ca-certificates dependency): replies stream, the
 * connection is reused, and a certificate for another name is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpstreamPool } from '../../../auth-proxy/upstream-pool.ts';
import { type Egress, startEgress } from './sidecar-fixture.ts';

let dir: string;
let server: https.Server;
let port: number;
let egress: Egress;
let cert: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'peers-tls-'));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=api.peers.test', '-addext', 'subjectAltName=DNS:api.peers.test'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  cert = readFileSync(join(dir, 'c.pem'));
  server = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    setTimeout(() => res.end(`data: ${req.headers.host}\n\n`), 20);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  port = (server.address() as net.AddressInfo).port;
  egress = await startEgress(port);
});
afterAll(async () => {
  await egress.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS to the upstream inside the egress tunnel', () => {
  test('streams the reply and reuses the verified connection', async () => {
    const pool = new UpstreamPool({ tls: true, host: 'api.peers.test', port }, { via: { path: egress.socket }, ca: cert });
    for (let i = 0; i < 2; i++) {
      const r = await pool.request({ method: 'POST', path: '/v1/messages', headers: { host: 'api.peers.test' }, body: Buffer.from('{}') });
      const chunks: string[] = [];
      for await (const c of r.body) chunks.push(String(c));
      expect(chunks[0]).toBe('data: first\n\n');
      expect(chunks.join('')).toBe('data: first\n\ndata: api.peers.test\n\n');
    }
    expect(pool.opened).toBe(1);
    pool.close();
  });

  test('a certificate that is not trusted for the name is refused', async () => {
    const pool = new UpstreamPool({ tls: true, host: 'api.peers.test', port }, { via: { path: egress.socket } });
    await expect(pool.request({ method: 'GET', path: '/', headers: { host: 'api.peers.test' }, body: Buffer.alloc(0) })).rejects.toThrow(/TLS to api.peers.test failed/);
    pool.close();
  });
});
