/**
 * The in-pod bridge: the pod has only loopback, so tools that honour HTTPS_PROXY reach
 * 127.0.0.1:3128, and this carries each connection, byte for byte, to the egress proxy's Unix
 * socket (mounted from the egress container). It makes no decisions; the proxy makes them all.
 */
import net from 'node:net';

export type BridgeTarget = { path: string } | { host: string; port: number };

export function parseBridgeTarget(text: string): BridgeTarget | null {
  if (text.startsWith('unix:')) return text.length > 5 ? { path: text.slice(5) } : null;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : null;
}

export class Bridge {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly to: BridgeTarget) {
    this.server = net.createServer((client) => this.carry(client));
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private carry(client: net.Socket): void {
    const target = 'path' in this.to ? net.connect(this.to.path) : net.connect(this.to.port, this.to.host);
    this.sockets.add(client);
    this.sockets.add(target);
    const done = () => {
      client.destroy();
      target.destroy();
      this.sockets.delete(client);
      this.sockets.delete(target);
    };
    client.on('error', done);
    target.on('error', done);
    client.on('close', done);
    // The proxy closes first after a refusal or a finished reply: let the client read it all.
    target.on('close', () => {
      client.end();
      setTimeout(done, 1000).unref();
    });
    client.pipe(target);
    target.pipe(client);
  }
}
