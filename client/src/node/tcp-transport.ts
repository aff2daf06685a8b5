import net from 'node:net';
import tls from 'node:tls';
import { ConnectionClosedError, DEFAULT_CLIENT_MAX_FRAME_BYTES, TlvDecoder, type Frame } from '@parley/protocol/codec';
import type { FrameTransport, ServerAddress } from '../transport/frame-transport';

/** Frames over a TCP byte stream (Node, Electron's main process, the CLI). */
export class TcpTransport implements FrameTransport {
  private socket: net.Socket | undefined;
  private frameListener: (frame: Frame) => void = () => undefined;
  private closeListener: (error?: Error) => void = () => undefined;
  private closed = false;
  private readonly decoder: TlvDecoder;

  constructor(
    private readonly address: ServerAddress,
    maxFrameBytes = DEFAULT_CLIENT_MAX_FRAME_BYTES,
    /** Extra TLS options (a private CA) for servers that serve TLS; the certificate is always verified. */
    private readonly tlsOptions: tls.ConnectionOptions = {},
  ) {
    this.decoder = new TlvDecoder({ maxBodyBytes: maxFrameBytes });
  }

  connect(): Promise<void> {
    if (this.socket !== undefined) return Promise.reject(new Error('TcpTransport is already connected or connecting'));
    const { host, tcpPort } = this.address;
    return new Promise((resolve, reject) => {
      let connected = false;
      let lastError: Error | undefined;
      const secure = this.address.tls === true;
      // The host name is checked against the certificate (node does so whenever servername or host is a name).
      const socket = secure ? tls.connect({ ...this.tlsOptions, host, port: tcpPort, ...(net.isIP(host) ? {} : { servername: host }) }) : net.connect({ host, port: tcpPort });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
        resolve();
      });
      socket.on('error', (err) => {
        lastError = err;
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.once('close', () => {
        const error = new ConnectionClosedError(`Connection to ${host}:${tcpPort} closed`, { cause: lastError });
        if (!connected) reject(new ConnectionClosedError(`Could not connect to ${host}:${tcpPort}`, { cause: lastError }));
        this.finish(error);
      });
    });
  }

  send(frame: Uint8Array): void {
    if (this.socket === undefined || this.closed || this.socket.destroyed) throw new ConnectionClosedError();
    this.socket.write(frame);
  }

  onFrame(listener: (frame: Frame) => void): void {
    this.frameListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  close(): void {
    this.socket?.destroy();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.socket?.destroy();
      this.finish(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.frameListener(frame);
    }
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeListener(error);
  }
}

/** The TransportFactory for Node: TCP (TLS when the server serves it) to the server's tcpPort. */
export function tcpTransport(address: ServerAddress): TcpTransport {
  return new TcpTransport(address);
}

/** A TransportFactory that trusts `ca` (a private CA's PEM) for servers that serve TLS, besides the system CAs' defaults. */
export function tcpTransportWithCa(ca: string | Buffer): (address: ServerAddress) => TcpTransport {
  return (address) => new TcpTransport(address, DEFAULT_CLIENT_MAX_FRAME_BYTES, { ca });
}
