import type { ClientSocket, Logger } from '@parley/common';
import {
  decodeClientMessage,
  encodeFrame,
  isProtocolError,
  MsgId,
  ProtocolError,
  type ClientMessage,
  type ErrorBody,
  type Frame,
  type LoginReq,
  type ServerFrameId,
  type ServerMessageOf,
  TlvDecoder,
} from '@parley/protocol';
import { ReadThrottle } from './read-throttle';
import type { RequestContext } from './request-context';
import type { WriteScheduler } from './write-scheduler';

/**
 * login: waiting for the first frame; logging-in: token check running, later frames wait;
 * active: logged in; closing: a final frame may still be flushing; closed: the socket is gone.
 */
export type ConnectionState = 'login' | 'logging-in' | 'active' | 'closing' | 'closed';

/** What the session layer does with a connection's frames. */
export interface ConnectionHandlers {
  /** Resolves true when the connection is now logged in (it has answered or closed otherwise). */
  login(conn: ClientConnection, req: LoginReq): Promise<boolean>;
  /**
   * A frame of a logged-in connection before it is decoded: false when it has been answered
   * already (e.g. a send refused OVERLOADED while the server sheds load) and is not to be decoded.
   */
  screen?(conn: ClientConnection, frame: Frame): boolean;
  /** A decoded message on a logged-in connection. */
  dispatch(conn: ClientConnection, message: ClientMessage): void;
  /** The socket closed; called once. */
  closed(conn: ClientConnection): void;
  /** The login completed (the connection is now active); called at most once. */
  loggedIn?(conn: ClientConnection): void;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Frame limit until the first frame is a valid LoginReq (at most maxFrameBytes). */
  preLoginMaxFrameBytes: number;
  /** A connection without a valid LoginReq this long after accept is closed with LOGIN_TIMEOUT. */
  loginTimeoutMs: number;
  /** Output buffered for a client that does not read; beyond this the connection is dropped. */
  maxBufferedBytes: number;
  /**
   * Output buffered beyond which the client's requests are not read until it has read its answers
   * (default maxBufferedBytes / 8): a client that floods without reading stalls on its own TCP
   * window instead of piling answers up in the server's memory.
   */
  pauseReadingAboveBytes?: number;
  /** Frames a client may send while its login is still being checked. */
  maxQueuedDuringLogin: number;
  /** Requests in flight before the connection stops reading (resumes at half). */
  maxInFlight: number;
  scheduler: WriteScheduler;
  handlers: ConnectionHandlers;
  logger: Logger;
}

const CLOSE_GRACE_MS = 5000;
/**
 * One client socket (TCP, or a WebSocket through WsSocket): frame decoding, the login gate, write coalescing and closing. Everything a
 * request means lives elsewhere (login handler, request router); this class only moves frames.
 */
export class ClientConnection implements RequestContext {
  private static nextId = 1;
  readonly connId = ClientConnection.nextId++;
  state: ConnectionState = 'login';
  private _uid = 0;
  private _sessionId = '';
  private _serverId = '';
  /** Last time any bytes arrived (ms since epoch); the heartbeat sweeper reads it. */
  lastSeen = Date.now();
  /** Last time this session's route TTL was refreshed. */
  routeRefreshedAt = 0;
  /** The route claim of the login, so a close during login releases the route after it is written. */
  routeClaim: Promise<unknown> | undefined;
  closingSince = 0;
  private readonly decoder: TlvDecoder;
  private corked = false;
  private readonly throttle: ReadThrottle;
  private queued: Frame[] = [];
  private queuedBytes = 0;
  private loginTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: ClientSocket,
    private readonly options: ConnectionOptions,
  ) {
    // Small frames until the first one is a valid LoginReq: a stranger cannot make us buffer 1 MiB.
    const preLoginLimit = Math.min(options.preLoginMaxFrameBytes, options.maxFrameBytes);
    this.decoder = new TlvDecoder({ maxBodyBytes: preLoginLimit, onFrame: this.raiseLimitAfterLogin });
    socket.setMaxFrameBytes?.(preLoginLimit);
    // Counted from accept: bytes trickled in (which keep the heartbeat sweep away) do not extend it.
    this.loginTimer = setTimeout(() => this.onLoginTimeout(), options.loginTimeoutMs);
    this.loginTimer.unref();
    this.throttle = new ReadThrottle(socket, {
      maxInFlight: options.maxInFlight,
      pauseAboveBytes: options.pauseReadingAboveBytes ?? options.maxBufferedBytes / 8,
      // Not once closing; while a login is checked, queued frames are bounded by maxQueuedDuringLogin.
      mayResume: () => this.open,
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => options.logger.debug({ err: err.message, conn: this.connId }, 'socket error'));
    socket.once('close', () => this.onClose());
  }

  get uid(): number {
    return this._uid;
  }

  get sessionId(): string {
    return this._sessionId;
  }

  get serverId(): string {
    return this._serverId;
  }

  /** Neither closing nor closed. */
  get open(): boolean {
    return this.state !== 'closing' && this.state !== 'closed';
  }

  get loggedIn(): boolean {
    return this.state === 'active';
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** Binds the session identity; called by the login handler once the token is good. */
  bindSession(uid: number, sessionId: string, serverId: string): void {
    this._uid = uid;
    this._sessionId = sessionId;
    this._serverId = serverId;
  }

  /** Queues a frame; it leaves with everything else written this tick. False once closing. */
  write(frame: Buffer): boolean {
    if (this.state === 'closing' || this.state === 'closed') return false;
    return this.writeNow(frame);
  }

  send<I extends ServerFrameId>(id: I, body: ServerMessageOf<I>): boolean {
    return this.write(encodeFrame(id, body));
  }

  sendError(body: ErrorBody): boolean {
    return this.write(encodeFrame(MsgId.Error, body));
  }

  /** Writes an optional last frame, ends the socket, and destroys it if the peer lingers. */
  close(finalFrame?: Buffer): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (finalFrame) this.writeNow(finalFrame);
    this.state = 'closing';
    this.closingSince = Date.now();
    this.queued = [];
    this.queuedBytes = 0;
    this.flushWrites();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  closeWithError(body: ErrorBody): void {
    this.close(encodeFrame(MsgId.Error, body));
  }

  /** Drops the connection at once (dead peer, slow consumer). */
  destroy(): void {
    if (this.state !== 'closed') this.state = 'closing';
    this.socket.destroy();
  }

  /** Stops reading from the client (shutdown); already queued work still completes. */
  stopReading(): void {
    this.throttle.stop();
    this.queued = [];
  }

  flushWrites(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  /** Request accounting for backpressure: a client with too many requests in flight is not read. */
  requestStarted(): void {
    this.throttle.requestStarted();
  }

  requestFinished(): void {
    this.throttle.requestFinished();
  }

  private writeNow(frame: Buffer): boolean {
    if (this.socket.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      this.options.scheduler.markDirty(this);
    }
    this.socket.write(frame);
    const buffered = this.socket.writableLength;
    this.throttle.wrote(buffered);
    if (buffered > this.options.maxBufferedBytes) {
      this.options.logger.warn({ conn: this.connId, uid: this._uid, buffered: this.socket.writableLength }, 'client does not read; dropping connection');
      this.destroy();
      return false;
    }
    return true;
  }

  private onData(chunk: Buffer): void {
    if (!this.open || this.throttle.isStopped) return;
    this.lastSeen = Date.now();
    this.throttle.read(chunk.length);
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failStream(err);
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
        this.queuedBytes += frame.body.length;
        if (this.queued.length >= this.options.maxQueuedDuringLogin || this.queuedBytes > this.options.maxFrameBytes) {
          this.closeWithError({ code: 'RATE_LIMITED', message: 'Too many frames before the login completed' });
          return;
        }
        // The frame body may be a view of a socket chunk that is reused; keep a copy.
        this.queued.push({ id: frame.id, body: Buffer.from(frame.body) });
        return;
      case 'active': {
        if (this.options.handlers.screen && !this.options.handlers.screen(this, frame)) return;
        const message = this.decode(frame);
        if (message) this.options.handlers.dispatch(this, message);
        return;
      }
      default:
        return;
    }
  }

  private onFirstFrame(frame: Frame): void {
    if (frame.id !== MsgId.LoginReq) {
      this.closeWithError({ code: 'LOGIN_REQUIRED', message: 'The first frame must be LoginReq' });
      return;
    }
    const message = this.decode(frame);
    if (!message || message.id !== MsgId.LoginReq) return;
    this.clearLoginTimer();
    this.state = 'logging-in';
    this.requestStarted();
    this.options.handlers
      .login(this, message.msg)
      .then(
        (ok) => {
          if (!ok || this.state !== 'logging-in') return;
          this.state = 'active';
          this.options.handlers.loggedIn?.(this);
          const queued = this.queued;
          this.queued = [];
          this.queuedBytes = 0;
          for (const f of queued) {
            if (this.state !== 'active') break;
            this.onFrame(f);
          }
        },
        (err: unknown) => {
          this.options.logger.error({ err, conn: this.connId }, 'login failed unexpectedly');
          this.closeWithError({ reqId: message.msg.reqId, code: 'INTERNAL', message: 'Internal server error' });
        },
      )
      .finally(() => this.requestFinished());
  }

  /** Decodes one frame; protocol errors are answered here (fatal ones close the connection). */
  private decode(frame: Frame): ClientMessage | undefined {
    try {
      return decodeClientMessage(frame);
    } catch (err) {
      this.failFrame(err);
      return undefined;
    }
  }

  private failFrame(err: unknown): void {
    if (isProtocolError(err)) {
      if (err.fatal) this.closeWithError(err.toErrorBody());
      else this.sendError(err.toErrorBody());
      return;
    }
    this.options.logger.error({ err, conn: this.connId }, 'frame decoding failed unexpectedly');
    this.closeWithError({ code: 'INTERNAL', message: 'Internal server error' });
  }

  private failStream(err: unknown): void {
    const body = err instanceof ProtocolError ? err.toErrorBody() : { code: 'MALFORMED_FRAME' as const, message: 'The frame could not be decoded' };
    this.closeWithError(body);
  }

  /**
   * Runs as the decoder completes each frame, before it reads the next header: once a frame is a
   * valid LoginReq, frames pipelined behind it (even in the same chunk) may use the full limit.
   */
  private readonly raiseLimitAfterLogin = (frame: Frame): void => {
    if (this.decoder.maxBodyBytes === this.options.maxFrameBytes || this.state !== 'login' || frame.id !== MsgId.LoginReq) return;
    try {
      decodeClientMessage(frame);
    } catch {
      return; // answered when the frame is handled
    }
    this.decoder.maxBodyBytes = this.options.maxFrameBytes;
    this.socket.setMaxFrameBytes?.(this.options.maxFrameBytes);
  };

  private onLoginTimeout(): void {
    this.loginTimer = undefined;
    if (this.state !== 'login') return;
    this.closeWithError({ code: 'LOGIN_TIMEOUT', message: `No valid LoginReq within ${this.options.loginTimeoutMs} ms of connecting` });
  }

  private clearLoginTimer(): void {
    if (this.loginTimer === undefined) return;
    clearTimeout(this.loginTimer);
    this.loginTimer = undefined;
  }

  private onClose(): void {
    this.clearLoginTimer();
    this.state = 'closed';
    this.queued = [];
    this.options.handlers.closed(this);
  }
}
