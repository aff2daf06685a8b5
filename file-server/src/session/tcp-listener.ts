import net from 'node:net';
import type { Logger } from '@parley/common';

/** The client-facing TCP listener: accepts sockets and hands each one over; nothing else. */
export class TcpListener {
  private readonly server: net.Server;

  constructor(
    onSocket: (socket: net.Socket) => void,
    private readonly logger: Logger,
  ) {
    this.server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, onSocket);
    this.server.on('error', (err) => logger.error({ err }, 'tcp listener error'));
  }

  /** Listens on host:port (0 = any free port) and resolves the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog: 1024 }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  stopAccepting(): void {
    if (this.server.listening) this.server.close((err) => err && this.logger.debug({ err }, 'tcp listener close'));
  }
}
