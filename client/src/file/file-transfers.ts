import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex } from '@noble/hashes/utils';
import { ConnectionClosedError, MsgId, ProtocolError, type FileServerMessage } from '@parley/protocol/codec';
import type { FileRef, TransferView, UploadSource } from '../client-api';
import { ClientError } from '../client-error';
import type { ServerAddress, TransportFactory } from '../transport/frame-transport';
import { FileConnection } from './file-connection';
import { TransferInterrupted, TransferJob } from './transfer-job';

export interface FileTransfersDeps {
  transport: TransportFactory;
  /** The file server from the latest gate answer, and the token that logs in there. */
  fileServer(): (ServerAddress & { uid: number; token: string }) | undefined;
  emit(view: TransferView): void;
  /** Attempts after a lost connection before the transfer fails (default 5). */
  maxAttempts?: number;
  retryDelayMs?: number;
}

export interface UploadOptions {
  transferId?: string;
  /** The conversation the file is for (the server checks membership and lets its members download it). */
  conversationId?: number;
  /** The clientMsgId of the message that will carry the file. */
  clientMsgId?: string;
}

/** Unacknowledged chunks in flight (the protocol package's client uses the same). */
const UPLOAD_WINDOW = 8;
/** Bytes read per step while hashing a source. */
const HASH_READ_BYTES = 1024 * 1024;

let transferCounter = 0;
const newTransferId = (): string => `t${Date.now().toString(36)}${(++transferCounter).toString(36)}`;

/**
 * Uploads and downloads on the file server over any transport, with progress, pause/resume (a new
 * connection continues where the last one stopped) and retry after a lost connection. Downloads are
 * held in memory and checked against their sha256; sha256 is computed incrementally (@noble/hashes,
 * which runs in the browser too).
 */
export class FileTransfers {
  private readonly jobs = new Map<string, TransferJob>();

  constructor(private readonly deps: FileTransfersDeps) {}

  job(transferId: string): TransferJob | undefined {
    return this.jobs.get(transferId);
  }

  /**
   * Starts an upload under `options.transferId` (made here when absent); `options.clientMsgId` names the
   * message the file becomes (shown in the TransferView), `onTransfer` learns the transfer's id at once.
   */
  upload(source: UploadSource, options: UploadOptions = {}, onTransfer?: (transferId: string) => void): Promise<FileRef> {
    const { conversationId, clientMsgId } = options;
    const transferId = options.transferId ?? newTransferId();
    if (this.jobs.has(transferId)) return Promise.reject(new ClientError('INVALID_ID', `Transfer ${transferId} is already running`));
    const job = this.newJob({
      transferId, direction: 'upload', name: source.name, total: source.size,
      ...(conversationId === undefined ? {} : { conversationId }), ...(clientMsgId === undefined ? {} : { clientMsgId }),
    });
    onTransfer?.(job.view.transferId);
    return this.run(job, async () => {
      const hash = sha256.create();
      for (let offset = 0; offset < source.size; offset += HASH_READ_BYTES) {
        hash.update(await source.read(offset, Math.min(HASH_READ_BYTES, source.size - offset)));
      }
      const digest = bytesToHex(hash.digest());
      const ref: FileRef = { fileId: '', name: source.name, size: source.size, sha256: digest, mime: source.mime };
      await this.attempts(job, async (conn, done) => {
        const init = await conn.request(MsgId.UploadInitReq, { name: source.name, size: source.size, sha256: digest, mime: source.mime, ...(conversationId === undefined ? {} : { conversationId }) });
        ref.fileId = String(init.fileId);
        job.view.fileId = ref.fileId;
        job.progress(init.offset);
        if (init.complete) return;
        await pumpUpload(conn, done, job, source, init.fileId, init.offset, init.chunkBytes);
      });
      return ref;
    });
  }

  download(file: FileRef, onTransfer?: (transferId: string) => void): Promise<Uint8Array> {
    const job = this.newJob({ transferId: newTransferId(), direction: 'download', name: file.name, total: file.size, fileId: file.fileId });
    onTransfer?.(job.view.transferId);
    const fileId = Number(file.fileId);
    const bytes = new Uint8Array(file.size);
    let received = 0;
    return this.run(job, async () => {
      await this.attempts(job, async (conn, done) => {
        const resp = await conn.request(MsgId.DownloadReq, { fileId, offset: received });
        if (resp.size !== file.size || resp.sha256 !== file.sha256) throw new ProtocolError('SHA256_MISMATCH', 'The file on the server is not the one named', { details: { fileId } });
        while (received < file.size) {
          const chunk = await done.next(MsgId.DownloadChunk, (m) => m.msg.fileId === fileId);
          if (chunk.msg.offset !== received) throw new ProtocolError('INTERNAL', `Chunk at ${chunk.msg.offset}, expected ${received}`);
          bytes.set(chunk.data, received);
          received += chunk.data.length;
          job.progress(received);
        }
      });
      if (bytesToHex(sha256(bytes)) !== file.sha256) throw new ProtocolError('SHA256_MISMATCH', 'The downloaded bytes do not match the sha256', { details: { fileId } });
      return bytes;
    });
  }

  /**
   * Downloads a file known only by its id (an avatar: the DownloadResp names its size, mime and sha256),
   * quietly (no transfer events), refusing one above `maxBytes`; verified against the server's sha256.
   */
  async fetchById(fileId: string, maxBytes: number): Promise<{ bytes: Uint8Array; mime: string; name: string }> {
    const job = new TransferJob({ transferId: newTransferId(), direction: 'download', name: '', total: 0, fileId }, () => undefined);
    const id = Number(fileId);
    let result: { bytes: Uint8Array; mime: string; name: string } | undefined;
    await this.attempts(job, async (conn, done) => {
      const resp = await conn.request(MsgId.DownloadReq, { fileId: id, offset: 0 });
      if (resp.size > maxBytes) throw new ProtocolError('VALIDATION_FAILED', `File ${fileId} is larger than ${maxBytes} bytes`);
      const bytes = new Uint8Array(resp.size);
      for (let received = 0; received < resp.size; ) {
        const chunk = await done.next(MsgId.DownloadChunk, (m) => m.msg.fileId === id);
        if (chunk.msg.offset !== received) throw new ProtocolError('INTERNAL', `Chunk at ${chunk.msg.offset}, expected ${received}`);
        bytes.set(chunk.data, received);
        received += chunk.data.length;
      }
      if (bytesToHex(sha256(bytes)) !== resp.sha256) throw new ProtocolError('SHA256_MISMATCH', 'The downloaded bytes do not match the sha256', { details: { fileId: id } });
      result = { bytes, mime: resp.mime, name: resp.name };
    });
    return result!;
  }

  private newJob(view: Omit<TransferView, 'bytesDone' | 'bytesPerSec' | 'state'>): TransferJob {
    const job = new TransferJob(view, (v) => this.deps.emit(v));
    this.jobs.set(view.transferId, job);
    return job;
  }

  private async run<T>(job: TransferJob, body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      job.progress(job.view.total);
      job.setState('done');
      return result;
    } catch (err) {
      const code = err instanceof TransferInterrupted ? 'CANCELLED' : ((err as { code?: string }).code ?? 'INTERNAL');
      job.setState('failed', code);
      throw err;
    } finally {
      this.jobs.delete(job.view.transferId);
    }
  }

  /** Runs `attempt` on fresh connections until it completes: waits while paused, retries a lost connection. */
  private async attempts(job: TransferJob, attempt: (conn: FileConnection, inbox: Inbox) => Promise<void>): Promise<void> {
    const maxAttempts = this.deps.maxAttempts ?? 5;
    for (let failures = 0; ; ) {
      await job.checkpoint();
      const server = this.deps.fileServer();
      if (!server) throw new ClientError('NO_FILE_SERVER', 'No file server is live (the gate named none); try again later');
      const inbox = new Inbox();
      const conn = new FileConnection(this.deps.transport(server), { onMessage: (m) => inbox.push(m), onFileError: (e) => inbox.fail(e), onClose: () => inbox.fail(new ConnectionClosedError()) });
      job.interrupt = () => conn.close();
      try {
        await conn.connect();
        await conn.login(server.uid, server.token);
        await attempt(conn, inbox);
        return;
      } catch (err) {
        if (job.cancelled) throw new TransferInterrupted('cancelled');
        if (job.paused) continue;
        const retryable = err instanceof ConnectionClosedError || (err instanceof ProtocolError && (err.code === 'UNAVAILABLE' || err.code === 'RATE_LIMITED'));
        if (!retryable || ++failures >= maxAttempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.deps.retryDelayMs ?? 500));
      } finally {
        job.interrupt = undefined;
        conn.close();
      }
    }
  }
}

/** Messages one connection may hold unread; more means the server sends what nobody asked for. */
const MAX_INBOX = 4096;

/** File-server messages of one connection, awaited in order; a failure rejects every waiter. */
class Inbox {
  private readonly queue: FileServerMessage[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  push(message: FileServerMessage): void {
    // Pongs only prove the link is alive; nothing waits for them.
    if (message.id === MsgId.Pong) return;
    if (this.queue.length >= MAX_INBOX) {
      this.fail(new ProtocolError('INTERNAL', 'The file server sent more than the client can hold'));
      return;
    }
    this.queue.push(message);
    this.waiter?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.();
  }

  async next<I extends FileServerMessage['id']>(id: I, match: (m: Extract<FileServerMessage, { id: I }>) => boolean): Promise<Extract<FileServerMessage, { id: I }>> {
    for (;;) {
      const index = this.queue.findIndex((m) => m.id === id && match(m as Extract<FileServerMessage, { id: I }>));
      if (index >= 0) return this.queue.splice(index, 1)[0] as Extract<FileServerMessage, { id: I }>;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
  }
}

async function pumpUpload(conn: FileConnection, inbox: Inbox, job: TransferJob, source: UploadSource, fileId: number, start: number, chunkBytes: number): Promise<void> {
  if (start >= source.size) {
    // Everything is durable and the server is finishing: its UploadDone went to the earlier connection.
    const status = await conn.request(MsgId.UploadStatusReq, { fileId });
    if (status.complete) return;
    throw new ProtocolError('UNAVAILABLE', 'The server is still finishing the upload');
  }
  let next = start;
  let acked = start;
  while (acked < source.size) {
    while (next < source.size && next - acked < UPLOAD_WINDOW * chunkBytes) {
      const data = await source.read(next, Math.min(chunkBytes, source.size - next));
      if (data.length === 0) throw new ClientError('SOURCE_CHANGED', 'The source ended early; it changed during the upload');
      conn.sendChunk(fileId, next, data);
      next += data.length;
    }
    const ack = await inbox.next(MsgId.UploadChunkAck, (m) => m.msg.fileId === fileId);
    acked = Math.max(acked, ack.msg.offset);
    job.progress(acked);
  }
  await inbox.next(MsgId.UploadDone, (m) => m.msg.fileId === fileId);
}
