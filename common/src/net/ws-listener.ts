import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { FRAME_HEADER_BYTES } from '@parley/protocol';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { TLS_HANDSHAKE_TIMEOUT_MS, type ServerTls } from '../tls/server-tls';
import { WsSocket } from './ws-socket';
import { listenOn } from './listen-on';

export interface WsListenerOptions {
  /** The largest frame body any message may carry; a longer message is closed with 1009 before it is buffered. */
  maxFrameBytes: number;
  /**
   * Origins (e.g. "https://chat.example.com") a browser may connect from; empty = any. Login is by a
   * token in the first frame, not a cookie, so a foreign page gains nothing by connecting: the list
   * is an operator's choice, not a CSRF defence. A request without an Origin header (not a browser) is let in.
   */
  allowedOrigins: readonly string[];
  /** Serve wss:// with this key pair; undefined = ws:// (or TLS terminated in front). */
  tls?: ServerTls | undefined;
}

/** Time for a client to complete the HTTP upgrade request; a socket that never finishes it is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A client-facing WebSocket listener (chat and file servers), the twin of TcpListener: an HTTP
 * server that only upgrades, and hands each WebSocket over as a ClientSocket (WsSocket). Plain HTTP
 * requests get 426. permessage-deflate is off: a small compressed message must not inflate into a
 * large one (and frames are mostly JSON or already-compressed file data). WebSocket pings are not
 * answered (see autoPong below).
 */
export class WsListener {
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly origins: ReadonlySet<string>;

  constructor(
    onSocket: (socket: WsSocket) => void,
    options: WsListenerOptions,
    private readonly logger: Logger,
  ) {
    this.origins = new Set(options.allowedOrigins);
    // autoPong off: a client that sends WebSocket pings and never reads would otherwise fill our
    // output with pongs that no write-side check sees. The heartbeat is the protocol's Ping frame.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: FRAME_HEADER_BYTES + options.maxFrameBytes, perMessageDeflate: false, clientTracking: false, autoPong: false });
    // Checked every second (Node's default is 30 s), so a socket that never completes its upgrade goes promptly.
    const refuse: http.RequestListener = (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close', upgrade: 'websocket' });
      res.end('This port speaks WebSocket only\n');
    };
    this.server = options.tls
      ? https.createServer({ connectionsCheckingInterval: 1000, ...options.tls, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, refuse)
      : http.createServer({ connectionsCheckingInterval: 1000 }, refuse);
    this.server.headersTimeout = HANDSHAKE_TIMEOUT_MS;
    this.server.requestTimeout = HANDSHAKE_TIMEOUT_MS;
    this.server.on('error', (err) => logger.error({ err }, 'ws listener error'));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => undefined);
      const origin = req.headers.origin;
      if (origin !== undefined && this.origins.size > 0 && !this.origins.has(origin)) {
        logger.debug({ origin, remote: socket.remoteAddress }, 'websocket origin refused');
        socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        socket.setNoDelay(true);
        onSocket(new WsSocket(ws, socket));
      });
    });
  }

  /** Listens on host:port (0 = any free port) and resolves the bound port. */
  listen(host: string, port: number): Promise<number> {
    return listenOn(this.server, host, port);
  }

  /** Stops accepting; open WebSockets carry on until the server closes them. */
  stopAccepting(): void {
    if (this.server.listening) this.server.close((err) => err && this.logger.debug({ err }, 'ws listener close'));
  }
}
