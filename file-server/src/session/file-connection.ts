import type { ClientSocket, Logger } from '@parley/common';
import {
  decodeFileClientMessage,
  encodeFrame,
  isProtocolError,
  MsgId,
  TlvDecoder,
  type ErrorBody,
  type FileClientMessage,
  type FileServerFrameId,
  type FileServerMessageOf,
  type Frame,
  type LoginReq,
  type BufferPool,
} from '@parley/protocol';

/** login: waiting for LoginReq; logging-in: token check running; active; closing; closed. */
export type FileConnectionState = 'login' | 'logging-in' | 'active' | 'closing' | 'closed';

export interface FileConnectionHandlers {
  /** Resolves true when the connection is now logged in (it has answered or closed otherwise). */
  login(conn: FileConnection, req: LoginReq): Promise<boolean>;
  /** A decoded message of a logged-in connection. */
  dispatch(conn: FileConnection, message: FileClientMessage): void;
  /** The socket closed; called once. */
  closed(conn: FileConnection): void;
}

export interface FileConnectionOptions {
  /** Largest frame body: fileFrameLimit(chunk_bytes). */
  maxFrameBytes: number;
  /** Unread output (acks, errors) beyond which a client that does not read is dropped. */
  maxBufferedBytes: number;
  /** Frames a client may pipeline behind its LoginReq. */
  maxQueuedDuringLogin: number;
  handlers: FileConnectionHandlers;
  logger: Logger;
  /**
   * Set when the socket reads into one buffer reused for every read (adoptWithReadBuffer): its
   * bytes arrive through `receive`, not as 'data' events, and UploadChunk bodies are copied out of
   * that buffer into `bodies`, which the upload gives back (`recycle`) once a chunk is written.
   */
  reusedInput?: { bodies: BufferPool };
}

const CLOSE_GRACE_MS = 5000;

/**
 * One file client's socket (TCP, or a WebSocket through WsSocket): frame decoding, the login gate, writes and flow control. It knows
 * nothing of uploads or downloads; those hold it (stop reading while their writes are queued) and
 * write chunk frames through it (waiting for 'drain' when the socket is full).
 *
 * A framing error (oversized length, malformed body) answers and closes; a message that fails its
 * schema answers and keeps the connection; whatever a handler does never touches the decoder.
 */
export class FileConnection {
  private static nextId = 1;
  readonly connId = FileConnection.nextId++;
  state: FileConnectionState = 'login';
  uid = 0;
  /** Bound to the connection, then to the user once logged in. */
  logger: Logger;
  /** Last time a frame arrived or download bytes left (ms); the sweeper closes idle connections. */
  lastActive = Date.now();
  readonly openedAt = Date.now();
  private readonly decoder: TlvDecoder;
  private queued: Frame[] = [];
  private holds = 0;
  private readingStopped = false;
  private corked = false;

  constructor(
    readonly socket: ClientSocket,
    private readonly options: FileConnectionOptions,
  ) {
    this.logger = options.logger.child({ conn: this.connId });
    const bodies = options.reusedInput?.bodies;
    if (bodies) {
      // The read buffer is overwritten by the next read, so every body is copied out; a chunk's
      // into a pooled buffer (hot in cache, no allocation, no GC for it).
      this.decoder = new TlvDecoder({ maxBodyBytes: options.maxFrameBytes, inputReused: true, allocate: (id, length) => (id === MsgId.UploadChunk ? bodies.take(length) : Buffer.allocUnsafe(length)) });
    } else {
      // UploadChunk data stays in the socket's fresh read buffers (no copy into one body); the
      // upload writes and hashes the pieces.
      this.decoder = new TlvDecoder({ maxBodyBytes: options.maxFrameBytes, gather: (id) => id === MsgId.UploadChunk });
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
    }
    socket.setNoDelay(true);
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'socket error'));
    socket.once('close', () => this.onClose());
  }

  get open(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  bindUser(uid: number): void {
    this.uid = uid;
    this.logger = this.logger.child({ uid });
  }

  send<I extends Exclude<FileServerFrameId, typeof MsgId.DownloadChunk>>(id: I, body: FileServerMessageOf<I>): boolean {
    return this.write(encodeFrame(id, body));
  }

  sendError(body: ErrorBody): boolean {
    return this.write(encodeFrame(MsgId.Error, body));
  }

  /** Writes a chunk frame's head and data; false when the socket's buffer is above `highWater`. */
  writeChunk(head: Buffer, data: Buffer, highWater: number): boolean {
    if (!this.write(head) || !this.write(data)) return false;
    this.lastActive = Date.now();
    return this.socket.writableLength < highWater;
  }

  /** Resolves when the socket's buffer has drained, or the connection is gone. */
  waitWritable(): Promise<void> {
    if (!this.open || this.socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Stops reading until every hold is released (uploads whose writes are queued). */
  hold(): void {
    if (this.holds++ === 0) this.socket.pause();
  }

  release(): void {
    if (this.holds > 0 && --this.holds === 0 && this.open && !this.readingStopped) this.socket.resume();
  }

  /**
   * Shutdown: nothing more is read, so no chunk that arrives after Reconnect is answered with an
   * error for an upload that is being closed; the client resumes elsewhere from the durable offset.
   */
  stopReading(): void {
    this.readingStopped = true;
    this.socket.pause();
  }

  /** Writes an optional last frame, ends the socket, and destroys it if the peer lingers. */
  close(finalFrame?: Buffer): void {
    if (!this.open) return;
    if (finalFrame) this.write(finalFrame);
    this.state = 'closing';
    this.queued = [];
    this.uncork();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  closeWithError(body: ErrorBody): void {
    this.close(encodeFrame(MsgId.Error, body));
  }

  destroy(): void {
    if (this.state !== 'closed') this.state = 'closing';
    this.socket.destroy();
  }

  private write(bytes: Buffer): boolean {
    if (this.socket.destroyed || this.state === 'closed') return false;
    // Frames written in one tick (acks of a burst of chunks) leave in one writev.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => this.uncork());
    }
    this.socket.write(bytes);
    if (this.socket.writableLength > this.options.maxBufferedBytes) {
      this.logger.warn({ buffered: this.socket.writableLength }, 'client does not read; dropping connection');
      this.destroy();
      return false;
    }
    return true;
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * A chunk's data (or any view of it) is written and nothing refers to it any more: its pooled
   * body can be reused. Anything not taken from the pool is left to the GC.
   */
  recycle(data: Buffer): void {
    this.options.reusedInput?.bodies.give(data);
  }

  /** Bytes read from the socket: 'data' events, or (reusedInput) views of the reused read buffer, decoded before returning. */
  receive(chunk: Buffer): void {
    if (!this.open || this.readingStopped) return;
    this.lastActive = Date.now();
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.closeWithError(isProtocolError(err) ? err.toErrorBody() : { code: 'MALFORMED_FRAME', message: 'The frame could not be decoded' });
      return;
    }
    for (const frame of frames) {
      if (!this.open) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Frame): void {
    switch (this.state) {
      case 'login':
        this.onFirstFrame(frame);
        return;
      case 'logging-in':
        if (this.queued.length >= this.options.maxQueuedDuringLogin) {
          this.closeWithError({ code: 'RATE_LIMITED', message: 'Too many frames before the login completed' });
          return;
        }
        this.queued.push(frame);
        return;
      case 'active': {
        const message = this.decode(frame);
        if (message) this.options.handlers.dispatch(this, message);
        return;
      }
      default:
    }
  }

  private onFirstFrame(frame: Frame): void {
    if (frame.id !== MsgId.LoginReq) {
      this.closeWithError({ code: 'LOGIN_REQUIRED', message: 'The first frame must be LoginReq' });
      return;
    }
    const message = this.decode(frame);
    if (!message || message.id !== MsgId.LoginReq) return;
    this.state = 'logging-in';
    this.options.handlers.login(this, message.msg).then(
      (ok) => {
        if (!ok || this.state !== 'logging-in') return;
        this.state = 'active';
        const queued = this.queued;
        this.queued = [];
        for (const f of queued) {
          if (this.state !== 'active') break;
          this.onFrame(f);
        }
      },
      (err: unknown) => {
        this.logger.error({ err }, 'login failed unexpectedly');
        this.closeWithError({ reqId: message.msg.reqId, code: 'INTERNAL', message: 'Internal server error' });
      },
    );
  }

  private decode(frame: Frame): FileClientMessage | undefined {
    try {
      return decodeFileClientMessage(frame);
    } catch (err) {
      if (isProtocolError(err)) {
        if (err.fatal) this.closeWithError(err.toErrorBody());
        else this.sendError(err.toErrorBody());
      } else {
        this.logger.error({ err }, 'frame decoding failed unexpectedly');
        this.closeWithError({ code: 'INTERNAL', message: 'Internal server error' });
      }
      return undefined;
    }
  }

  private onClose(): void {
    this.state = 'closed';
    this.queued = [];
    this.options.handlers.closed(this);
  }
}
