import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { encodeFrame, FRAME_HEADER_BYTES, MsgId, type ErrorCode } from '@parley/protocol';
import { WebSocket } from 'ws';
import type { ClientSocket } from './client-socket';

/** WebSocket close codes the servers use (RFC 6455 §7.4.1); docs/protocol.md lists them. */
export const WS_CLOSE = {
  /** The server ended the connection; the reason came first as an Error, Kick or Reconnect frame. */
  normal: 1000,
  /** A binary message that is not exactly one whole TLV frame. */
  protocolError: 1002,
  /** A text message. */
  unsupportedData: 1003,
  /** A message longer than the frame limit in force (sent by the ws library, no Error frame). */
  tooBig: 1009,
} as const;

/** What ws keeps per connection and does not expose: the limit is read at every frame header. */
interface ReceiverInternals {
  _receiver?: { _maxPayload?: unknown } | null;
}

/**
 * A WebSocket seen as a ClientSocket, so one connection class serves TCP and WebSocket clients.
 *
 * In: each binary message must be exactly one whole TLV frame (header and announced body, nothing
 * more); it is then handed on as one 'data' chunk and decoded by the connection's own decoder with
 * its own limits. A text message, or one whose length disagrees with its header, is answered with
 * an Error frame (MALFORMED_FRAME) and closed. Out: the bytes the connection writes are cut back
 * into frames, and each frame leaves as one message (a frame written in parts, like a file chunk's
 * head and data, is sent as fragments of one message, without copying).
 *
 * Backpressure is the TCP socket's: writableLength is ws's bufferedAmount, 'drain' is the socket's.
 */
export class WsSocket extends EventEmitter implements ClientSocket {
  /** Bytes still owed to the outgoing frame in progress (0 = the next write starts a frame). */
  private outRemaining = 0;
  private closed = false;
  private failed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly raw: Socket,
  ) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    ws.once('close', () => this.onClose());
    raw.on('drain', () => this.emit('drain'));
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.raw.remotePort;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.closed || this.raw.destroyed;
  }

  setNoDelay(noDelay = true): this {
    this.raw.setNoDelay(noDelay);
    return this;
  }

  setMaxFrameBytes(maxBodyBytes: number): void {
    const receiver = (this.ws as unknown as ReceiverInternals)._receiver;
    // Guarded: should ws rename its internals, the server-wide maxPayload (the full limit) still holds.
    if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = FRAME_HEADER_BYTES + maxBodyBytes;
  }

  write(chunk: Buffer): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.outRemaining === 0) {
        // Every writer hands over at least a whole header at the start of a frame.
        if (chunk.length - offset < FRAME_HEADER_BYTES) throw new RangeError('WsSocket.write: a frame header was split across writes');
        this.outRemaining = FRAME_HEADER_BYTES + chunk.readUInt32BE(offset + 2);
      }
      const take = Math.min(this.outRemaining, chunk.length - offset);
      this.outRemaining -= take;
      this.ws.send(chunk.subarray(offset, offset + take), { binary: true, fin: this.outRemaining === 0 });
      offset += take;
    }
    return this.raw.writableLength < this.raw.writableHighWaterMark;
  }

  /** Sends an optional last frame and a close frame (1000); the socket closes when the peer answers or ws gives up. */
  end(chunk?: Buffer): this {
    if (chunk) this.write(chunk);
    this.closeWith(WS_CLOSE.normal);
    return this;
  }

  destroy(): this {
    this.ws.terminate();
    return this;
  }

  pause(): this {
    this.ws.pause();
    return this;
  }

  resume(): this {
    this.ws.resume();
    return this;
  }

  isPaused(): boolean {
    return this.ws.isPaused;
  }

  cork(): void {
    this.raw.cork();
  }

  uncork(): void {
    this.raw.uncork();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.failed) return;
    if (!isBinary) {
      this.fail(WS_CLOSE.unsupportedData, 'MALFORMED_FRAME', 'WebSocket messages must be binary, one TLV frame each');
      return;
    }
    if (data.length < FRAME_HEADER_BYTES || data.readUInt32BE(2) !== data.length - FRAME_HEADER_BYTES) {
      this.fail(WS_CLOSE.protocolError, 'MALFORMED_FRAME', 'A WebSocket message must carry exactly one whole TLV frame');
      return;
    }
    this.emit('data', data);
  }

  /** The framing rule is broken: answer like a byte-stream decoding error, then close. */
  private fail(closeCode: number, code: ErrorCode, message: string): void {
    this.failed = true;
    // A frame the connection was writing in parts is abandoned; the error frame starts afresh.
    if (this.outRemaining === 0) this.write(encodeFrame(MsgId.Error, { code, message }));
    this.closeWith(closeCode);
  }

  private closeWith(code: number): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  private onClose(): void {
    this.closed = true;
    this.emit('close');
  }
}
