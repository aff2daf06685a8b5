import { EventEmitter } from 'node:events';
import net from 'node:net';
import { BufferPool } from './buffer-pool';
import { chunkFrameHead } from './chunk-codec';
import { decodeFileServerMessage } from './file-codec';
import type { FileClientMessageOf, FileServerMessage, FileServerMessageOf, UploadChunkAck, UploadDone } from './file-schemas';
import type { Frame } from './frame-body';
import { FileResponseIdFor, MsgId, type FileRequestMsgId } from './message-ids';
import type { LoginResp, Pong } from './message-schemas';
import { ConnectionClosedError, ProtocolError, RequestTimeoutError, type ErrorBody } from './protocol-errors';
import { DEFAULT_CHUNK_BYTES, fileFrameLimit, MAX_REQ_ID } from './protocol-limits';
import { TlvDecoder } from './tlv-decoder';
import { encodeFrame } from './tlv-encoder';

export type FileRequestBody<I extends FileRequestMsgId> = Omit<FileClientMessageOf<I>, 'reqId'>;
export type FileResponseOf<I extends FileRequestMsgId> = FileServerMessageOf<(typeof FileResponseIdFor)[I]>;

/** A DownloadChunk: `data` is a view of the received frame (no copy). */
export interface ReceivedChunk {
  fileId: number;
  offset: number;
  data: Buffer;
}

export interface FileClientEvents {
  chunk: [chunk: ReceivedChunk];
  ack: [ack: UploadChunkAck];
  done: [done: UploadDone];
  /** An Error frame without a reqId (a chunk's refusal carries `details.fileId`). */
  fileError: [error: ProtocolError];
  pong: [pong: Pong];
  /** The server is shutting down: go back to the gate for another file server. */
  reconnect: [reason: string];
  close: [hadError: boolean];
  /** Undecodable input; the connection is dropped. */
  protocolError: [error: ProtocolError];
}

export interface FileClientOptions {
  /** The largest chunk the server may send; the frame limit follows from it. */
  maxChunkBytes?: number;
  /** The server's usual chunk size: received chunks up to it reuse pooled buffers (see release). */
  chunkBytes?: number;
  defaultTimeoutMs?: number;
}

/**
 * The one buffer each connection reads its socket into (net's `onread`). Without it every read
 * is a fresh 64 KiB off-heap buffer, and a gigabyte downloaded made V8 collect garbage for a
 * sixth of the client's time; chunk bodies are copied out of it anyway (into pooled buffers).
 */
const READ_BUFFER_BYTES = 256 * 1024;

interface Pending {
  responseId: number;
  resolve: (msg: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One connection to a file server (docs/protocol.md, "File transfer"): login, requests matched by
 * reqId, UploadChunk frames written without copying their data, and the server's chunks, acks and
 * completions as events. It never reconnects; FileTransfers builds uploads and downloads that
 * resume across connections on top of it.
 */
export class FileClient extends EventEmitter<FileClientEvents> {
  private socket: net.Socket | undefined;
  private connected = false;
  private readonly decoder: TlvDecoder;
  private readonly bodies: BufferPool;
  private readonly pending = new Map<number, Pending>();
  private lastReqId = 0;
  private readonly defaultTimeoutMs: number;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(options: FileClientOptions = {}) {
    super();
    const bodies = new BufferPool(fileFrameLimit(options.chunkBytes ?? DEFAULT_CHUNK_BYTES), 32);
    this.bodies = bodies;
    this.decoder = new TlvDecoder({
      maxBodyBytes: fileFrameLimit(options.maxChunkBytes ?? 16 * DEFAULT_CHUNK_BYTES),
      allocate: (id, length) => (id === MsgId.DownloadChunk ? bodies.take(length) : Buffer.allocUnsafe(length)),
      inputReused: true,
    });
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
  }

  get isOpen(): boolean {
    return this.connected;
  }

  connect(host: string, port: number): Promise<void> {
    if (this.socket) return Promise.reject(new Error('FileClient connects once; make a new one'));
    const socket = net.connect({
      host,
      port,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (bytes, buffer) => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    return new Promise((resolve, reject) => {
      let lastError: Error | undefined;
      socket.once('connect', () => {
        this.connected = true;
        resolve();
      });
      socket.on('error', (err) => {
        lastError = err;
      });
      socket.once('close', (hadError) => {
        const wasConnected = this.connected;
        this.onClose(hadError);
        if (!wasConnected) reject(new ConnectionClosedError(`Could not connect to ${host}:${port}`, { cause: lastError }));
      });
    });
  }

  /** LoginReq with the gate's token; pings every heartbeatSec afterwards so an idle connection stays open. */
  async login(uid: number, token: string): Promise<LoginResp> {
    const resp = await this.request(MsgId.LoginReq, { uid, token });
    this.heartbeat = setInterval(() => {
      if (this.connected) this.writeRaw(encodeFrame(MsgId.Ping, {}));
    }, resp.heartbeatSec * 1000);
    this.heartbeat.unref();
    return resp;
  }

  request<I extends FileRequestMsgId>(id: I, body: FileRequestBody<I>, timeoutMs = this.defaultTimeoutMs): Promise<FileResponseOf<I>> {
    if (!this.connected) return Promise.reject(new ConnectionClosedError());
    const reqId = this.nextReqId();
    const frame = encodeFrame(id, { ...body, reqId });
    return new Promise<FileResponseOf<I>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(reqId, timeoutMs));
      }, timeoutMs);
      this.pending.set(reqId, { responseId: FileResponseIdFor[id], resolve: resolve as (msg: unknown) => void, reject, timer });
      this.writeRaw(frame);
    });
  }

  /** Sends a message that has no answer (DownloadCancel, Ping). */
  send<I extends typeof MsgId.DownloadCancel | typeof MsgId.Ping>(id: I, body: FileClientMessageOf<I>): boolean {
    return this.writeRaw(encodeFrame(id, body));
  }

  ping(timeoutMs = this.defaultTimeoutMs): Promise<Pong> {
    return new Promise((resolve, reject) => {
      const onPong = (pong: Pong) => {
        clearTimeout(timer);
        resolve(pong);
      };
      const timer = setTimeout(() => {
        this.off('pong', onPong);
        reject(new RequestTimeoutError(0, timeoutMs));
      }, timeoutMs);
      this.once('pong', onPong);
      this.send(MsgId.Ping, {});
    });
  }

  /** Writes an UploadChunk (head, then the data itself). False when the socket's buffer is full. */
  sendChunk(fileId: number, offset: number, data: Buffer): boolean {
    const head = chunkFrameHead(MsgId.UploadChunk, { fileId, offset }, data.length);
    this.writeRaw(head);
    return this.writeRaw(data);
  }

  /** Resolves once the socket's buffer has drained (or the connection is gone). */
  drained(): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.connected || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Hands a received chunk's data back for reuse once nothing refers to it (it is written). Optional. */
  release(data: Buffer): void {
    this.bodies.give(data);
  }

  /** Stops (and resumes) reading the socket: backpressure for a download whose disk writes lag. */
  pauseReading(): void {
    this.socket?.pause();
  }

  resumeReading(): void {
    this.socket?.resume();
  }

  /** Writes raw bytes (tests send hand-made frames). */
  writeRaw(bytes: Uint8Array): boolean {
    if (!this.socket || !this.connected) throw new ConnectionClosedError();
    return this.socket.write(bytes);
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
  }

  /** Drops the connection at once (tests cut uploads mid-way with it). */
  destroy(): void {
    this.socket?.destroy();
  }

  private nextReqId(): number {
    do {
      this.lastReqId = this.lastReqId >= MAX_REQ_ID ? 1 : this.lastReqId + 1;
    } while (this.pending.has(this.lastReqId));
    return this.lastReqId;
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.emit('protocolError', err instanceof ProtocolError ? err : new ProtocolError('MALFORMED_FRAME', String(err)));
      this.socket?.destroy();
      return;
    }
    for (const frame of frames) {
      let message: FileServerMessage;
      try {
        message = decodeFileServerMessage(frame);
      } catch (err) {
        this.emit('protocolError', err instanceof ProtocolError ? err : new ProtocolError('INTERNAL', String(err)));
        continue;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: FileServerMessage): void {
    switch (message.id) {
      case MsgId.DownloadChunk:
        this.emit('chunk', { fileId: message.msg.fileId, offset: message.msg.offset, data: message.data });
        return;
      case MsgId.UploadChunkAck:
        this.emit('ack', message.msg);
        return;
      case MsgId.UploadDone:
        this.emit('done', message.msg);
        return;
      case MsgId.Pong:
        this.emit('pong', message.msg);
        return;
      case MsgId.Reconnect:
        this.emit('reconnect', message.msg.reason);
        return;
      case MsgId.Error:
        this.onError(message.msg);
        return;
      default:
        this.settle(message.msg.reqId, (p) => (message.id === p.responseId ? p.resolve(message.msg) : p.reject(new ProtocolError('INTERNAL', `Unexpected message id ${message.id}`))));
    }
  }

  private onError(body: ErrorBody): void {
    const error = new ProtocolError(body.code, body.message, { reqId: body.reqId, details: body.details });
    if (body.reqId !== undefined && this.pending.has(body.reqId)) this.settle(body.reqId, (p) => p.reject(error));
    else this.emit('fileError', error);
  }

  private settle(reqId: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(reqId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(reqId);
    fn(p);
  }

  private onClose(hadError: boolean): void {
    this.connected = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const [reqId, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`Connection closed before request ${reqId} was answered`, { reqId }));
    }
    this.pending.clear();
    this.emit('close', hadError);
  }
}
