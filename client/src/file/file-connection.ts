import {
  chunkFrameHead,
  ConnectionClosedError,
  decodeFileServerMessage,
  encodeFrame,
  FileResponseIdFor,
  MsgId,
  ProtocolError,
  type FileClientMessageOf,
  type FileRequestMsgId,
  type FileServerMessage,
  type FileServerMessageOf,
  type Frame,
  type LoginResp,
} from '@parley/protocol/codec';
import { PendingRequests } from '../connection/pending-requests';
import type { FrameTransport } from '../transport/frame-transport';

export type FileRequestBody<I extends FileRequestMsgId> = Omit<FileClientMessageOf<I>, 'reqId'>;
export type FileResponseOf<I extends FileRequestMsgId> = FileServerMessageOf<(typeof FileResponseIdFor)[I]>;

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
  private readonly requests = new PendingRequests();
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
    return this.requests.start<FileResponseOf<I>>(FileResponseIdFor[id], this.timeoutMs, (reqId) => this.transport.send(encodeFrame(id, { ...body, reqId })));
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
    if (reqId !== undefined && this.requests.answer(reqId, decoded.id, decoded.msg)) return;
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
    this.requests.closeAll();
    this.handlers.onClose();
  }
}
