import type { Frame } from '@parley/protocol/codec';

/** Where a chat (or file) server listens, as the gate's answer names it. */
export interface ServerAddress {
  host: string;
  tcpPort: number;
  /** The server's WebSocket port, when it has one (gate answer `wsPort`). */
  wsPort?: number;
  /** Speak TLS (wss:// on the WebSocket port): the gate's answer says `tls` / `fileTls`. */
  tls?: boolean;
}

/**
 * One connection that carries whole TLV frames, whatever is underneath (a TCP byte stream, or one
 * binary WebSocket message per frame). The session above it never sees bytes, only frames.
 */
export interface FrameTransport {
  /** Resolves once frames can be sent; rejects when the connection cannot be made. */
  connect(): Promise<void>;
  /** Queues one encoded frame (header included). Throws when not connected. */
  send(frame: Uint8Array): void;
  onFrame(listener: (frame: Frame) => void): void;
  /** Called once when the connection ends, for whatever reason (also after close()). */
  onClose(listener: (error?: Error) => void): void;
  close(): void;
}

/** Makes a transport to the given server: TCP in Node and Electron's main process, WebSocket in the browser. */
export type TransportFactory = (address: ServerAddress) => FrameTransport;
