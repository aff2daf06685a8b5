/**
 * What a client connection needs of its transport: the subset of net.Socket the chat and file
 * servers use. A TCP socket is one as it is; a WebSocket is wrapped by WsSocket, which keeps the
 * same byte-stream contract (frames in, frames out) while each WebSocket message carries one frame.
 */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Output queued and not yet handed to the kernel (a WebSocket's bufferedAmount). */
  readonly writableLength: number;
  readonly destroyed: boolean;
  setNoDelay(noDelay?: boolean): unknown;
  /** Writes whole frames, or a frame's leading part followed by the rest in the next writes. */
  write(chunk: Buffer): boolean;
  end(): unknown;
  end(chunk: Buffer): unknown;
  destroy(): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Reading is paused (backpressure on a client that does not read its answers). */
  isPaused(): boolean;
  cork(): void;
  uncork(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close' | 'drain', listener: () => void): unknown;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
  /**
   * Message transports only: the largest frame body the next incoming message may carry, enforced
   * before the message is buffered (the TLV decoder enforces it on a byte stream).
   */
  setMaxFrameBytes?(maxBodyBytes: number): void;
}
