import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from './logger';
import { TLS_HANDSHAKE_TIMEOUT_MS, type ServerTls } from './tls/server-tls';
import { listenOn } from './net/listen-on';

/**
 * A client-facing TCP listener (chat and file servers). It only accepts sockets and hands each one
 * over; stopping it stops new connections while the existing ones carry on until the server closes
 * them. A deep accept queue (the kernel caps it at net.core.somaxconn) queues a login storm.
 * With `tls` it speaks TLS (node:tls) and hands over each socket once its handshake is done.
 * With `pauseOnConnect` a plain TCP socket is handed over before anything was read from it (for
 * adoptWithReadBuffer; call `resume()` on a socket used as it is); TLS sockets never are paused.
 */
export class TcpListener {
  private readonly server: net.Server;

  constructor(
    onSocket: (socket: net.Socket) => void,
    private readonly logger: Logger,
    tlsOptions?: ServerTls,
    options: { pauseOnConnect?: boolean } = {},
  ) {
    const socketOptions = { noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 };
    if (tlsOptions) {
      const server = tls.createServer({ ...socketOptions, ...tlsOptions, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, onSocket);
      // A failed handshake (a plaintext client, a bad certificate) is the client's problem, not an error of ours.
      server.on('tlsClientError', (err, socket) => {
        logger.debug({ err: err.message, remote: socket.remoteAddress }, 'tls handshake failed');
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = net.createServer({ ...socketOptions, pauseOnConnect: options.pauseOnConnect ?? false }, onSocket);
    }
    this.server.on('error', (err) => logger.error({ err }, 'tcp listener error'));
  }

  /** Listens on host:port (0 = any free port) and resolves the bound port. */
  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  /** Stops accepting; resolves at once (open sockets are not waited for). */
  stopAccepting(): void {
    if (this.server.listening) this.server.close((err) => err && this.logger.debug({ err }, 'tcp listener close'));
  }
}
