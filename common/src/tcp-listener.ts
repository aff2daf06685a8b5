import net from 'node:net';
import type { Logger } from './logger';

/**
 * A client-facing TCP listener (chat and file servers). It only accepts sockets and hands each one
 * over; stopping it stops new connections while the existing ones carry on until the server closes
 * them. A deep accept queue (the kernel caps it at net.core.somaxconn) queues a login storm.
 */
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
      this.server.listen({ host, port, backlog: 4096 }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Stops accepting; resolves at once (open sockets are not waited for). */
  stopAccepting(): void {
    if (this.server.listening) this.server.close((err) => err && this.logger.debug({ err }, 'tcp listener close'));
  }
}
