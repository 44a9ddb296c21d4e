/**
 * The in-pod bridge: the pod has only loopback, so tools that honour HTTPS_PROXY reach
 * 127.0.0.1:3128, and this carries each connection, byte for byte, to the egress proxy's Unix
 * socket (mounted from the egress container). It makes no decisions; the proxy makes them all.
 * The bytes move between Bun's native sockets (socket-relay.ts), as in the proxy itself.
 */
import type { Socket, SocketHandler, TCPSocketListener } from 'bun';
import { CLIENT, SocketRelay, TARGET } from './socket-relay.ts';

export type BridgeTarget = { path: string } | { host: string; port: number };

export function parseBridgeTarget(text: string): BridgeTarget | null {
  if (text.startsWith('unix:')) return text.length > 5 ? { path: text.slice(5) } : null;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : null;
}

/** A client connection: its relay, and whether it is still open (a target that opens late is dropped). */
type Carried = { relay: SocketRelay; open: boolean };

const TARGET_HANDLERS: SocketHandler<Carried> = {
  open(s) {
    if (s.data.open) s.data.relay.attach(s);
    else s.terminate();
  },
  data: (s, chunk) => s.data.relay.data(TARGET, chunk),
  drain: (s) => s.data.relay.drain(TARGET),
  end: (s) => s.data.relay.end(TARGET),
  close: (s) => s.data.relay.close(TARGET),
  error: (s) => s.terminate(),
};

const CLIENT_HANDLERS: SocketHandler<Carried> = {
  data: (s, chunk) => s.data.relay.data(CLIENT, chunk),
  drain: (s) => s.data.relay.drain(CLIENT),
  end: (s) => s.data.relay.end(CLIENT),
  close: (s) => {
    s.data.open = false;
    s.data.relay.close(CLIENT);
  },
  error: (s) => s.terminate(),
};

export class Bridge {
  private listener: TCPSocketListener<Carried> | null = null;
  private readonly clients = new Set<Socket<Carried>>();

  constructor(private readonly to: BridgeTarget) {}

  async listen(host: string, port: number): Promise<number> {
    this.listener = Bun.listen<Carried>({
      hostname: host,
      port,
      allowHalfOpen: true,
      socket: {
        ...CLIENT_HANDLERS,
        open: (client) => this.carry(client),
        close: (client) => {
          this.clients.delete(client);
          CLIENT_HANDLERS.close!(client);
        },
      },
    });
    return this.listener.port;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.data.relay.destroy();
    this.listener?.stop(true);
    this.listener = null;
  }

  private carry(client: Socket<Carried>): void {
    const carried: Carried = { relay: new SocketRelay(client), open: true };
    client.data = carried;
    this.clients.add(client);
    // Nothing is read from the client until the proxy's end of the bridge is open.
    client.pause();
    const common = { allowHalfOpen: true, data: carried, socket: TARGET_HANDLERS };
    const to = this.to;
    ('path' in to ? Bun.connect<Carried>({ unix: to.path, ...common }) : Bun.connect<Carried>({ hostname: to.host, port: to.port, ...common }))
      .then(() => client.resume())
      .catch(() => client.end());
  }
}
