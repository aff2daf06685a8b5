import net from 'node:net';

/**
 * A fault-injecting TCP proxy in front of a chat server (the fake peer is the network, never our
 * code): it forwards both ways until `loseNextReply()`; then the next bytes from the server are
 * dropped and the client's connection is cut, as when a link dies after the request left.
 */
export class LossyProxy {
  private readonly server: net.Server;
  private loseReply = false;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  private constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (!this.loseReply) {
          client.write(chunk);
          return;
        }
        this.loseReply = false;
        client.destroy();
        upstream.destroy();
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  static async start(targetPort: number): Promise<LossyProxy> {
    const proxy = new LossyProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  loseNextReply(): void {
    this.loseReply = true;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
