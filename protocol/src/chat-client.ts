import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { parseBody } from './frame-body';
import type { Frame } from './frame-body';
import { decodeServerMessage } from './message-codec';
import { MsgId, ResponseIdFor } from './message-ids';
import type { RequestMsgId } from './message-ids';
import type {
  ChatMessageType,
  ConversationCursor,
} from './entity-schemas';
import type {
  ClientFrameId,
  ClientMessageInput,
  ClientMessageOf,
  HistoryResp,
  LoginResp,
  Pong,
  PullResp,
  SendAck,
  ServerFrameId,
  ServerMessage,
  ServerMessageOf,
  SyncResp,
} from './message-schemas';
import { ConnectionClosedError, ProtocolError, RequestTimeoutError, ValidationError } from './protocol-errors';
import { DEFAULT_CLIENT_MAX_FRAME_BYTES, MAX_REQ_ID } from './protocol-limits';
import { encodeFrame } from './tlv-encoder';
import { TlvDecoder } from './tlv-decoder';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

/** What a request sends: the message minus the reqId the client assigns. */
export type RequestBody<I extends RequestMsgId> = Omit<ClientMessageInput<I>, 'reqId'>;
export type ResponseOf<I extends RequestMsgId> = ServerMessageOf<(typeof ResponseIdFor)[I]>;

/** Server messages that are not responses to a request (Error only when it has no pending reqId). */
export type PushFrameId = Exclude<ServerFrameId, (typeof ResponseIdFor)[RequestMsgId]>;
export type PushArgs = { [I in PushFrameId]: [id: I, msg: ServerMessageOf<I>] }[PushFrameId];

export interface ChatClientEvents {
  status: [status: ConnectionStatus];
  /** Server pushes, typed: narrow on `id` to get the message type. */
  push: PushArgs;
  /** Every frame as it arrives, before validation (for tracing and benchmarks). */
  frame: [frame: Frame];
  close: [hadError: boolean];
  /** Undecodable input. Not 'error', so an unlistened client does not crash the process. */
  protocolError: [error: ProtocolError];
}

export interface ChatClientOptions {
  /** Largest frame body accepted from the server. */
  maxFrameBytes?: number;
  /** Timeout for requests that don't pass their own. */
  defaultTimeoutMs?: number;
  /** Schema-check server frames; benchmarks may turn this off to measure the server alone. */
  validateIncoming?: boolean;
  /** After login, send Ping every heartbeatSec the server asked for. */
  heartbeat?: boolean;
  /** Speak TLS to a chat server that serves it (`[chat] tls_cert_file`): CA, server name… */
  tls?: tls.ConnectionOptions;
}

export interface RequestOptions {
  timeoutMs?: number;
}

export type SendTarget = { to: number } | { conversationId: number };

export interface SendMessageOptions extends RequestOptions {
  type?: ChatMessageType;
  /** Reuse the same id when retrying so the server deduplicates; defaults to a random UUID. */
  clientMsgId?: string;
}

interface PongWaiter {
  resolve: (pong: Pong) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface PendingRequest {
  responseId: number;
  resolve: (msg: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A lean TCP client for the chat protocol: request/response by reqId, typed pushes, nothing
 * else. It never reconnects; callers that need that watch 'close' and build a new connection.
 */
export class ChatClient extends EventEmitter<ChatClientEvents> {
  private socket: net.Socket | undefined;
  private readonly tlsOptions: tls.ConnectionOptions | undefined;
  private decoder: TlvDecoder;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly pongWaiters = new Set<PongWaiter>();
  private lastReqId = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private currentStatus: ConnectionStatus = 'disconnected';
  private readonly maxFrameBytes: number;
  private readonly defaultTimeoutMs: number;
  private readonly validateIncoming: boolean;
  private readonly autoHeartbeat: boolean;

  /** Set by a successful login(). */
  uid: number | undefined;
  serverId: string | undefined;

  constructor(options: ChatClientOptions = {}) {
    super();
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_CLIENT_MAX_FRAME_BYTES;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.validateIncoming = options.validateIncoming ?? true;
    this.autoHeartbeat = options.heartbeat ?? true;
    this.tlsOptions = options.tls;
    this.decoder = new TlvDecoder({ maxBodyBytes: this.maxFrameBytes });
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  connect(host: string, port: number): Promise<void> {
    if (this.socket !== undefined) {
      return Promise.reject(new Error('ChatClient is already connected or connecting'));
    }
    this.decoder = new TlvDecoder({ maxBodyBytes: this.maxFrameBytes });
    const socket = this.tlsOptions ? tls.connect({ host, port, ...this.tlsOptions }) : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.setStatus('connecting');

    return new Promise<void>((resolve, reject) => {
      let connected = false;
      let lastError: Error | undefined;
      socket.once(this.tlsOptions ? 'secureConnect' : 'connect', () => {
        connected = true;
        this.setStatus('connected');
        resolve();
      });
      // Errors surface through 'close' (and request rejections), never as an 'error' event.
      socket.on('error', (err) => {
        lastError = err;
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.once('close', (hadError) => {
        this.onClose(socket, hadError);
        if (!connected) reject(new ConnectionClosedError(`Could not connect to ${host}:${port}`, { cause: lastError }));
      });
    });
  }

  /** Half-closes and resolves once the socket is fully closed. */
  close(): Promise<void> {
    const socket = this.socket;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
  }

  /** Drops the connection at once; pending requests reject with ConnectionClosedError. */
  destroy(): void {
    this.socket?.destroy();
  }

  /** Fire-and-forget. Returns false when the socket buffer is full (backpressure). */
  send<I extends ClientFrameId>(id: I, body: ClientMessageOf<I>): boolean {
    return this.writeRaw(encodeFrame(id, body));
  }

  /** Writes pre-encoded bytes, e.g. hand-built bad frames in tests. */
  writeRaw(data: Uint8Array): boolean {
    const socket = this.socket;
    if (socket === undefined || this.currentStatus !== 'connected') {
      throw new ConnectionClosedError();
    }
    return socket.write(data);
  }

  /**
   * Sends a request with a fresh reqId and resolves with its response. Rejects with a
   * ProtocolError carrying the server's code when an Error frame answers it, with
   * RequestTimeoutError on timeout, and with ConnectionClosedError if the connection drops.
   */
  request<I extends RequestMsgId>(id: I, body: RequestBody<I>, options: RequestOptions = {}): Promise<ResponseOf<I>> {
    const socket = this.socket;
    if (socket === undefined || this.currentStatus !== 'connected') {
      return Promise.reject(new ConnectionClosedError());
    }
    const reqId = this.nextReqId();
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    let frame: Buffer;
    try {
      frame = encodeFrame(id, { ...body, reqId });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise<ResponseOf<I>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(reqId, timeoutMs));
      }, timeoutMs);
      this.pending.set(reqId, {
        responseId: ResponseIdFor[id],
        resolve: resolve as (msg: unknown) => void,
        reject,
        timer,
      });
      socket.write(frame);
    });
  }

  async login(uid: number, token: string, options?: RequestOptions): Promise<LoginResp> {
    const resp = await this.request(MsgId.LoginReq, { uid, token }, options);
    this.uid = resp.uid;
    this.serverId = resp.serverId;
    if (this.autoHeartbeat) this.startHeartbeat(resp.heartbeatSec);
    return resp;
  }

  sendMessage(target: SendTarget, body: string, options: SendMessageOptions = {}): Promise<SendAck> {
    const clientMsgId = options.clientMsgId ?? randomUUID();
    return this.request(MsgId.SendReq, { ...target, clientMsgId, type: options.type ?? 'text', body }, options);
  }

  sync(have?: ConversationCursor[], options?: RequestOptions): Promise<SyncResp> {
    return this.request(MsgId.SyncReq, have === undefined ? {} : { have }, options);
  }

  pull(conversationId: number, afterSeq: number, limit?: number, options?: RequestOptions): Promise<PullResp> {
    return this.request(MsgId.PullReq, { conversationId, afterSeq, limit }, options);
  }

  history(conversationId: number, beforeSeq?: number, limit?: number, options?: RequestOptions): Promise<HistoryResp> {
    return this.request(MsgId.HistoryReq, { conversationId, beforeSeq, limit }, options);
  }

  /** Tells the server everything up to `seq` reached this device. */
  ackDelivered(conversationId: number, seq: number): boolean {
    return this.send(MsgId.DeliveredAck, { conversationId, seq });
  }

  /** Sends a Ping and resolves with the next Pong (any Pong proves the link is alive). */
  ping(options: RequestOptions = {}): Promise<Pong> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<Pong>((resolve, reject) => {
      const waiter: PongWaiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pongWaiters.delete(waiter);
          reject(new RequestTimeoutError(0, timeoutMs));
        }, timeoutMs),
      };
      this.pongWaiters.add(waiter);
      try {
        this.send(MsgId.Ping, {});
      } catch (err) {
        clearTimeout(waiter.timer);
        this.pongWaiters.delete(waiter);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  startHeartbeat(intervalSec: number): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (this.currentStatus === 'connected') this.send(MsgId.Ping, {});
    }, intervalSec * 1000);
    // The heartbeat alone must not keep a process (a test, a benchmark) alive.
    this.heartbeatTimer.unref();
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private nextReqId(): number {
    // Skipping ids still in flight keeps matching unambiguous after the uint32 wraps.
    do {
      this.lastReqId = this.lastReqId >= MAX_REQ_ID ? 1 : this.lastReqId + 1;
    } while (this.pending.has(this.lastReqId));
    return this.lastReqId;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', status);
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.emit('protocolError', toProtocolError(err));
      this.socket?.destroy();
      return;
    }
    for (const frame of frames) {
      this.emit('frame', frame);
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Frame): void {
    let decoded: ServerMessage;
    try {
      decoded = this.validateIncoming
        ? decodeServerMessage(frame)
        : ({ id: frame.id, msg: parseBody(frame) } as ServerMessage);
    } catch (err) {
      const error = toProtocolError(err);
      const waiting = error instanceof ValidationError && error.reqId !== undefined ? this.pending.get(error.reqId) : undefined;
      if (waiting !== undefined && error.reqId !== undefined) {
        this.settle(error.reqId, waiting);
        waiting.reject(error);
      } else {
        this.emit('protocolError', error);
      }
      return;
    }

    const reqId = 'reqId' in decoded.msg ? decoded.msg.reqId : undefined;
    const waiting = reqId === undefined ? undefined : this.pending.get(reqId);
    if (reqId !== undefined && waiting !== undefined) {
      this.settle(reqId, waiting);
      if (decoded.id === MsgId.Error) {
        const { code, message, details } = decoded.msg;
        waiting.reject(new ProtocolError(code, message, { reqId, details }));
      } else if (decoded.id === waiting.responseId) {
        waiting.resolve(decoded.msg);
      } else {
        waiting.reject(new ProtocolError('INTERNAL', `Unexpected message id ${decoded.id} for request ${reqId}`, { reqId }));
      }
      return;
    }
    if (decoded.id === MsgId.Pong) {
      for (const waiter of this.pongWaiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(decoded.msg);
      }
      this.pongWaiters.clear();
    }
    // A response whose request already timed out is dropped; 'frame' has shown it.
    if (reqId === undefined || decoded.id === MsgId.Error) {
      this.emit('push', ...([decoded.id, decoded.msg] as PushArgs));
    }
  }

  private settle(reqId: number, request: PendingRequest): void {
    clearTimeout(request.timer);
    this.pending.delete(reqId);
  }

  private onClose(socket: net.Socket, hadError: boolean): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.stopHeartbeat();
    const pending = [...this.pending.entries()];
    this.pending.clear();
    for (const [reqId, request] of pending) {
      clearTimeout(request.timer);
      request.reject(new ConnectionClosedError(`Connection closed before request ${reqId} was answered`, { reqId }));
    }
    for (const waiter of this.pongWaiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ConnectionClosedError('Connection closed before Pong'));
    }
    this.pongWaiters.clear();
    this.setStatus('disconnected');
    this.emit('close', hadError);
  }
}

function toProtocolError(err: unknown): ProtocolError {
  return err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err), { cause: err });
}
