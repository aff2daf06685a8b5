import { ConnectionClosedError, DEFAULT_CLIENT_MAX_FRAME_BYTES, type Frame } from '@parley/protocol/codec';
import { ClientError } from '../client-error';
import type { FrameTransport, ServerAddress, TransportFactory } from './frame-transport';
import { decodeSingleFrame } from './single-frame';

/** The part of the WebSocket API used here; the browser's WebSocket and the `ws` package both have it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
/** Close code for a frame this end refuses (RFC 6455 1002: protocol error). */
const PROTOCOL_ERROR_CLOSE = 1002;

export interface WebSocketTransportOptions {
  maxFrameBytes?: number;
}

/**
 * Frames over WebSocket: each binary message carries exactly one TLV frame (the same frames as TCP).
 * The constructor is a parameter so the browser's native WebSocket and the `ws` package in Node both work.
 */
export class WebSocketTransport implements FrameTransport {
  private socket: WebSocketLike | undefined;
  private frameListener: (frame: Frame) => void = () => undefined;
  private closeListener: (error?: Error) => void = () => undefined;
  private closed = false;
  private readonly maxFrameBytes: number;

  constructor(
    private readonly WebSocketImpl: WebSocketConstructor,
    private readonly url: string,
    options: WebSocketTransportOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_CLIENT_MAX_FRAME_BYTES;
  }

  /** ws://host:wsPort/ (wss:// when the server serves TLS) for a server address; undefined when it has no WebSocket port. */
  static urlFor(address: ServerAddress, secure = address.tls === true): string | undefined {
    if (address.wsPort === undefined) return undefined;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    return `${secure ? 'wss' : 'ws'}://${host}:${address.wsPort}/`;
  }

  connect(): Promise<void> {
    if (this.socket !== undefined) return Promise.reject(new Error('WebSocketTransport is already connected or connecting'));
    return new Promise((resolve, reject) => {
      let opened = false;
      const socket = new this.WebSocketImpl(this.url);
      this.socket = socket;
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        opened = true;
        resolve();
      };
      socket.onmessage = (event) => this.onMessage(event.data);
      // Errors are followed by close; only close reports.
      socket.onerror = () => undefined;
      socket.onclose = (event) => {
        const error = new ConnectionClosedError(`WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
        if (!opened) reject(new ConnectionClosedError(`Could not connect to ${this.url}`, { cause: error }));
        this.finish(error);
      };
    });
  }

  send(frame: Uint8Array): void {
    if (this.socket === undefined || this.socket.readyState !== OPEN || this.closed) throw new ConnectionClosedError();
    this.socket.send(frame);
  }

  onFrame(listener: (frame: Frame) => void): void {
    this.frameListener = listener;
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListener = listener;
  }

  close(): void {
    this.socket?.close(1000);
    this.finish();
  }

  private onMessage(data: unknown): void {
    if (this.closed) return;
    if (!(data instanceof ArrayBuffer)) {
      // A text message (or a Blob) is not a frame: the stream cannot be trusted any more.
      this.fail(new ConnectionClosedError('The server sent a non-binary WebSocket message'));
      return;
    }
    try {
      this.frameListener(decodeSingleFrame(new Uint8Array(data), this.maxFrameBytes));
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private fail(error: Error): void {
    this.socket?.close(PROTOCOL_ERROR_CLOSE);
    this.finish(error);
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeListener(error);
  }
}

/**
 * The browser's TransportFactory: WebSocket to the port the gate named, wss:// when the gate's answer
 * says the server speaks TLS (`secure` overrides it). A server the gate names without a WebSocket port
 * cannot be reached from a page: NO_WEBSOCKET.
 */
export function webSocketTransports(WebSocketImpl: WebSocketConstructor, secure?: boolean, options: WebSocketTransportOptions = {}): TransportFactory {
  return (address) => {
    const url = WebSocketTransport.urlFor(address, secure ?? address.tls === true);
    if (url === undefined) throw new ClientError('NO_WEBSOCKET', `${address.host} has no WebSocket port`);
    return new WebSocketTransport(WebSocketImpl, url, options);
  };
}
