import {
  chunkFrameHead,
  ConnectionClosedError,
  decodeFileServerMessage,
  encodeFrame,
  FileResponseIdFor,
  MAX_REQ_ID,
  MsgId,
  ProtocolError,
  RequestTimeoutError,
  type FileClientMessageOf,
  type FileRequestMsgId,
  type FileServerMessage,
  type FileServerMessageOf,
  type Frame,
  type LoginResp,
} from '@parley/protocol/codec';
import type { FrameTransport } from '../transport/frame-transport';

export type FileRequestBody<I extends FileRequestMsgId> = Omit<FileClientMessageOf<I>, 'reqId'>;
export type FileResponseOf<I extends FileRequestMsgId> = FileServerMessageOf<(typeof FileResponseIdFor)[I]>;

interface Pending {
  responseId: number;
  resolve: (msg: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** What a file connection reports besides answers: acks, done, chunks, errors about a file, the close. */
export interface FileConnectionHandlers {
  onMessage(message: FileServerMessage): void;
  /** An Error frame concerning a file (details.fileId) rather than a request. */
  onFileError(error: ProtocolError): void;
  onClose(): void;
}

/**
 * One logged-in connection to a file server over any FrameTransport (TCP in Node, WebSocket in the
 * browser): requests by reqId, binary chunk frames, and a Ping every heartbeatSec so an idle
 * connection is not closed.
 */
export class FileConnection {
  private readonly pending = new Map<number, Pending>();
  private lastReqId = 0;
  private open = true;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly transport: FrameTransport,
    private readonly handlers: FileConnectionHandlers,
    private readonly timeoutMs = 10_000,
  ) {
    transport.onFrame((frame) => this.dispatch(frame));
    transport.onClose(() => this.onClose());
  }

  get isOpen(): boolean {
    return this.open;
  }

  connect(): Promise<void> {
    return this.transport.connect();
  }

  async login(uid: number, token: string): Promise<LoginResp> {
    const resp = await this.request(MsgId.LoginReq, { uid, token });
    this.heartbeat = setInterval(() => {
      if (this.open) this.transport.send(encodeFrame(MsgId.Ping, {}));
    }, resp.heartbeatSec * 1000);
    (this.heartbeat as { unref?: () => void }).unref?.();
    return resp as LoginResp;
  }

  request<I extends FileRequestMsgId>(id: I, body: FileRequestBody<I>): Promise<FileResponseOf<I>> {
    if (!this.open) return Promise.reject(new ConnectionClosedError());
    do {
      this.lastReqId = this.lastReqId >= MAX_REQ_ID ? 1 : this.lastReqId + 1;
    } while (this.pending.has(this.lastReqId));
    const reqId = this.lastReqId;
    const frame = encodeFrame(id, { ...body, reqId });
    return new Promise<FileResponseOf<I>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        reject(new RequestTimeoutError(reqId, this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(reqId, { responseId: FileResponseIdFor[id], resolve: resolve as (msg: unknown) => void, reject, timer });
      this.transport.send(frame);
    });
  }

  /** DownloadCancel (no answer). */
  cancelDownload(fileId: number): void {
    if (this.open) this.transport.send(encodeFrame(MsgId.DownloadCancel, { fileId }));
  }

  /** UploadChunk: the binary header then the data, as one frame. */
  sendChunk(fileId: number, offset: number, data: Uint8Array): void {
    if (!this.open) throw new ConnectionClosedError();
    const head = chunkFrameHead(MsgId.UploadChunk, { fileId, offset }, data.length);
    const frame = new Uint8Array(head.length + data.length);
    frame.set(head, 0);
    frame.set(data, head.length);
    this.transport.send(frame);
  }

  close(): void {
    this.transport.close();
  }

  private dispatch(frame: Frame): void {
    let decoded: FileServerMessage;
    try {
      decoded = decodeFileServerMessage(frame);
    } catch {
      return; // Unknown ids from a newer server are ignored.
    }
    const reqId = 'reqId' in decoded.msg ? (decoded.msg as { reqId?: number }).reqId : undefined;
    const waiting = reqId === undefined ? undefined : this.pending.get(reqId);
    if (waiting && reqId !== undefined) {
      clearTimeout(waiting.timer);
      this.pending.delete(reqId);
      if (decoded.id === MsgId.Error) waiting.reject(new ProtocolError(decoded.msg.code, decoded.msg.message, { reqId, details: decoded.msg.details }));
      else if (decoded.id === waiting.responseId) waiting.resolve(decoded.msg);
      else waiting.reject(new ProtocolError('INTERNAL', `Unexpected message id ${decoded.id} for request ${reqId}`, { reqId }));
      return;
    }
    if (decoded.id === MsgId.Error) {
      this.handlers.onFileError(new ProtocolError(decoded.msg.code, decoded.msg.message, { details: decoded.msg.details }));
      return;
    }
    this.handlers.onMessage(decoded);
  }

  private onClose(): void {
    if (!this.open) return;
    this.open = false;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    for (const [reqId, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`Connection closed before request ${reqId} was answered`, { reqId }));
    }
    this.pending.clear();
    this.handlers.onClose();
  }
}
