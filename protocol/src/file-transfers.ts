import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { FileClient } from './file-client';
import { downloadOnce } from './file-download';
import { hashFile } from './file-hash';
import { DEFAULT_UPLOAD_WINDOW, uploadOnce, type UploadResult } from './file-upload';
import { ProtocolError } from './protocol-errors';
import type { ErrorCode } from './error-codes';
import { ProgressMeter, type TransferProgress } from './transfer-progress';

export interface FileEndpoint {
  host: string;
  port: number;
}

export interface FileTransfersOptions {
  /** The file server the gate named (fileHost, filePort). */
  endpoint: FileEndpoint;
  uid: number;
  token: string;
  /**
   * Where to go after the server asked clients to reconnect or could not be reached, e.g. a new
   * gate login; by default the same endpoint again.
   */
  reconnectTo?: () => Promise<FileEndpoint & { token?: string }>;
  /** Unacknowledged upload chunks in flight (default 8). */
  window?: number;
  /** Attempts per transfer, the first included (default 5). */
  attempts?: number;
  /** Pause before attempt n is n × this (default 300 ms). */
  retryDelayMs?: number;
  requestTimeoutMs?: number;
  /** Least time between two progress events (default 100 ms; the last one always comes). */
  progressIntervalMs?: number;
}

export interface UploadOptions {
  /** Default: the file's base name. */
  name?: string;
  /** Default: application/octet-stream. */
  mime?: string;
  conversationId?: number;
  /** The file's sha256 when already known (else it is computed first). */
  sha256?: string;
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

export interface DownloadOptions {
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  fileId: number;
  path: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
}

/** Failures another attempt on a new connection can get past. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UNAVAILABLE', 'INTERNAL', 'UPLOAD_SUPERSEDED', 'WRONG_OFFSET', 'RATE_LIMITED']);

function retryable(err: unknown): boolean {
  return err instanceof ProtocolError && RETRYABLE.has(err.code);
}

/**
 * Uploads and downloads that survive disconnects, client restarts and file-server restarts, for
 * Node (tests, benchmarks, the desktop's main process). One file connection is shared by every
 * transfer and opened again when it drops; a failed attempt is repeated (`attempts`) and resumes:
 * an upload from the offset the server made durable (UploadInitReq tells it), a download from
 * the bytes already in `<path>.part`. A download lands at `path` only once its sha256 checks out.
 */
export class FileTransfers {
  private client: FileClient | undefined;
  private connecting: Promise<FileClient> | undefined;
  private endpoint: FileEndpoint;
  private token: string;
  private closed = false;
  /** The last connection was lost: ask `reconnectTo` where to go before connecting again. */
  private stale = false;

  constructor(private readonly options: FileTransfersOptions) {
    this.endpoint = options.endpoint;
    this.token = options.token;
  }

  /** The connection in use, if any (tests cut it to exercise resuming). */
  get connection(): FileClient | undefined {
    return this.client;
  }

  async upload(path: string, options: UploadOptions = {}): Promise<UploadResult> {
    const size = (await stat(path)).size;
    const sha256 = options.sha256 ?? (await hashFile(path)).digest('hex');
    const source = { path, size, sha256, name: options.name ?? basename(path), mime: options.mime ?? 'application/octet-stream', ...(options.conversationId === undefined ? {} : { conversationId: options.conversationId }) };
    const meter = new ProgressMeter(size, options.onProgress, Date.now, this.options.progressIntervalMs);
    const window = this.options.window ?? DEFAULT_UPLOAD_WINDOW;
    return this.withRetries((client) => uploadOnce(client, source, { window, meter, ...(options.signal ? { signal: options.signal } : {}) }));
  }

  async download(fileId: number, path: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const part = `${path}.part`;
    const meter = new ProgressMeter(0, options.onProgress, Date.now, this.options.progressIntervalMs);
    const resp = await this.withRetries(async (client) => {
      const offset = await stat(part).then((s) => s.size, () => 0);
      // Hashing what is already there keeps the check end to end, whoever wrote those bytes.
      const hash = await hashFile(part, offset);
      const handle = await open(part, offset === 0 ? 'w' : 'r+');
      try {
        const sink = { handle, offset, hash };
        const r = await downloadOnce(client, fileId, sink, { meter, ...(options.signal ? { signal: options.signal } : {}) }).catch(async (err: unknown) => {
          // A leftover .part longer than the file (another file once had this path): start over.
          if (!(err instanceof ProtocolError && err.code === 'VALIDATION_FAILED' && offset > 0)) throw err;
          await unlink(part).catch(() => undefined);
          throw new ProtocolError('UNAVAILABLE', 'The partial download did not fit the file; starting over', { cause: err });
        });
        await handle.datasync();
        if (hash.digest('hex') !== r.sha256) {
          await unlink(part).catch(() => undefined);
          throw new ProtocolError('SHA256_MISMATCH', `The download of file ${fileId} does not match its sha256`, { details: { fileId } });
        }
        return r;
      } finally {
        await handle.close();
      }
    });
    await rename(part, path);
    return { fileId, path, name: resp.name, mime: resp.mime, size: resp.size, sha256: resp.sha256 };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  private async withRetries<T>(attempt: (client: FileClient) => Promise<T>): Promise<T> {
    const attempts = this.options.attempts ?? 5;
    const delayMs = this.options.retryDelayMs ?? 300;
    for (let n = 1; ; n++) {
      try {
        return await attempt(await this.connect());
      } catch (err) {
        if (this.closed || n >= attempts || !retryable(err)) throw err;
        if (!this.client?.isOpen) this.stale = true;
        await new Promise((resolve) => setTimeout(resolve, n * delayMs));
      }
    }
  }

  /** The open, logged-in connection, made when there is none. */
  private connect(): Promise<FileClient> {
    if (this.client?.isOpen) return Promise.resolve(this.client);
    this.connecting ??= this.openConnection().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openConnection(): Promise<FileClient> {
    if (this.closed) throw new ProtocolError('UNAVAILABLE', 'FileTransfers is closed');
    if (this.stale && this.options.reconnectTo) {
      const next = await this.options.reconnectTo();
      this.endpoint = { host: next.host, port: next.port };
      if (next.token) this.token = next.token;
    }
    this.stale = false;
    const client = new FileClient({ ...(this.options.requestTimeoutMs ? { defaultTimeoutMs: this.options.requestTimeoutMs } : {}) });
    try {
      await client.connect(this.endpoint.host, this.endpoint.port);
      await client.login(this.options.uid, this.token);
    } catch (err) {
      client.destroy();
      throw err;
    }
    // A draining server asks its clients to go elsewhere: drop the connection, attempts resume.
    client.on('reconnect', () => client.destroy());
    this.client = client;
    return client;
  }
}
