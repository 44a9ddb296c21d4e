/**
 * The egress allow-list proxy: an HTTP/1.1 forward proxy (CONNECT tunnels and absolute-form plain
 * HTTP) listening on TCP or a Unix socket.
 *
 * Each connection carries exactly one request: the proxy parses the head itself (request-head.ts),
 * checks the name against the allow-list, resolves it once, checks every address, connects to
 * the checked address, and then only moves bytes. One request per connection means a client can
 * never slip a second, unchecked request down a connection the proxy already approved.
 * Every outcome, allowed or refused, becomes one audit record.
 *
 * Sockets are Bun's native ones (no node:net streams): the bytes of an approved tunnel go from one
 * socket to the other in socket-relay.ts, the proxy's only hot path.
 */
import type { Socket, SocketHandler, SocketListener } from 'bun';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { type ClientData, Connection, Refusal } from './egress-connection.ts';
import { DEFAULT_EGRESS_LIMITS, type EgressLimits, type EgressServerOptions } from './egress-options.ts';
import type { ListenTarget } from './listen-target.ts';
import { CLIENT } from './socket-relay.ts';

export class EgressServer {
  readonly limits: EgressLimits;
  private listener: SocketListener<ClientData> | null = null;
  private boundPort = 0;
  private active = 0;
  private readonly connections = new Set<Connection>();
  private readonly handlers: SocketHandler<ClientData>;

  constructor(readonly opts: EgressServerOptions) {
    this.limits = { ...DEFAULT_EGRESS_LIMITS, ...opts.limits };
    this.handlers = {
      open: (s) => this.accept(s),
      data: (s, chunk) => s.data?.fromClient(chunk),
      drain: (s) => s.data?.relay?.drain(CLIENT),
      end: (s) => {
        if (s.data) s.data.clientEnded();
        else s.end();
      },
      close: (s) => s.data?.clientClosed(),
      error: (s) => s.terminate(),
    };
  }

  get activeTunnels(): number {
    return this.active;
  }

  async listen(target: ListenTarget): Promise<string> {
    const common = { allowHalfOpen: true, socket: this.handlers, data: null };
    if ('path' in target) {
      try {
        // A stale socket from a previous run blocks bind; anything else at that path is left alone.
        if (lstatSync(target.path).isSocket()) unlinkSync(target.path);
      } catch {}
      this.listener = Bun.listen<ClientData>({ unix: target.path, ...common });
      chmodSync(target.path, target.mode ?? 0o660);
      return `unix:${target.path}`;
    }
    const tcp = Bun.listen<ClientData>({ hostname: target.host, port: target.port, ...common });
    this.listener = tcp;
    this.boundPort = tcp.port;
    return `${target.host}:${tcp.port}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.listener?.stop(true);
    this.listener = null;
  }

  /** A tunnel slot for an approved request; throws the 503 refusal when none is free. */
  reserveTunnel(): void {
    if (this.active >= this.limits.maxTunnels) throw new Refusal(503, `too many concurrent tunnels (limit ${this.limits.maxTunnels})`);
    this.active++;
  }

  releaseTunnel(): void {
    this.active--;
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  private accept(client: Socket<ClientData>): void {
    if (this.connections.size >= this.limits.maxConnections) {
      // Refused before reading anything: a flood of idle connections cannot exhaust descriptors.
      client.data = null;
      client.write(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 51\r\n\r\npeers-egress: too many open connections; try later\n`);
      client.shutdown();
      setTimeout(() => client.end(), 1000).unref();
      return;
    }
    const conn = new Connection(this, client);
    client.data = conn;
    this.connections.add(conn);
  }
}
