import { open, type FileHandle } from 'node:fs/promises';
import { ChunkReader } from './chunk-reader';
import type { FileClient } from './file-client';
import type { UploadChunkAck, UploadDone } from './file-schemas';
import { MsgId } from './message-ids';
import { ConnectionClosedError, type ProtocolError } from './protocol-errors';
import type { ProgressMeter } from './transfer-progress';

/** A local file to upload, already hashed. */
export interface UploadSource {
  path: string;
  size: number;
  sha256: string;
  name: string;
  mime: string;
  conversationId?: number;
}

export interface UploadResult {
  fileId: number;
  size: number;
  sha256: string;
  name: string;
  mime: string;
}

export interface UploadAttemptOptions {
  /** Unacknowledged chunks in flight. */
  window: number;
  meter: ProgressMeter;
  signal?: AbortSignal;
}

/** The default window: 8 chunks (2 MiB at the default chunk size) keep loopback and LAN links busy. */
export const DEFAULT_UPLOAD_WINDOW = 8;

/**
 * One attempt on one connection: UploadInitReq (which says where to start: 0, the durable offset
 * of an unfinished upload, or nothing to do), then chunks from that offset with at most `window`
 * unacknowledged, until UploadDone. Rejects with the server's error, or ConnectionClosedError —
 * after which a new attempt on a new connection resumes (FileTransfers does that).
 */
export async function uploadOnce(client: FileClient, source: UploadSource, options: UploadAttemptOptions): Promise<UploadResult> {
  const { path, size, sha256, name, mime, conversationId } = source;
  const init = await client.request(MsgId.UploadInitReq, { name, size, sha256, mime, ...(conversationId === undefined ? {} : { conversationId }) });
  const result: UploadResult = { fileId: init.fileId, size, sha256, name, mime };
  options.meter.update(init.offset, true);
  if (init.complete) {
    options.meter.update(size, true);
    return result;
  }
  const handle = await open(path, 'r');
  try {
    await sendChunks(client, handle, result, init.offset, init.chunkBytes, options);
  } finally {
    await handle.close();
  }
  options.meter.update(size, true);
  return result;
}

function sendChunks(client: FileClient, handle: FileHandle, file: UploadResult, start: number, chunkBytes: number, options: UploadAttemptOptions): Promise<void> {
  const { fileId, size } = file;
  return new Promise<void>((resolve, reject) => {
    let next = start;
    const reader = new ChunkReader(handle, start, size, chunkBytes);
    /** End offsets of the chunks sent and not yet acknowledged, in order. */
    const inFlight: number[] = [];
    let pumping = false;
    let settled = false;

    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      client.off('ack', onAck);
      client.off('done', onDone);
      client.off('fileError', onError);
      client.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
      // A read-ahead still under way ends before the caller closes the file.
      void reader.settle().then(() => (err ? reject(err) : resolve()));
    };
    const onAck = (ack: UploadChunkAck) => {
      if (ack.fileId !== fileId) return;
      while (inFlight.length > 0 && (inFlight[0] as number) <= ack.offset) inFlight.shift();
      options.meter.update(ack.offset);
      void pump();
    };
    const onDone = (done: UploadDone) => {
      if (done.fileId === fileId) finish();
    };
    const onError = (err: ProtocolError) => {
      if ((err.details as { fileId?: unknown } | undefined)?.fileId === fileId) finish(err);
    };
    const onClose = () => finish(new ConnectionClosedError(`Connection closed during the upload of file ${fileId}`));
    const onAbort = () => finish(new Error('upload aborted'));

    const pump = async (): Promise<void> => {
      if (pumping || settled) return;
      pumping = true;
      try {
        while (!settled && next < size && inFlight.length < options.window) {
          const data = await reader.next();
          if (settled) break;
          const roomy = client.sendChunk(fileId, next, data);
          next += data.length;
          inFlight.push(next);
          if (!roomy) await client.drained();
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      } finally {
        pumping = false;
      }
      // Acks that came in while this pass was reading or waiting may have opened the window again.
      if (!settled && next < size && inFlight.length < options.window) void pump();
    };

    client.on('ack', onAck);
    client.on('done', onDone);
    client.on('fileError', onError);
    client.on('close', onClose);
    options.signal?.addEventListener('abort', onAbort);
    if (!client.isOpen) onClose();
    else if (next < size) void pump();
    else {
      // Everything was durable already and the server is finishing: its UploadDone may have come first.
      client.request(MsgId.UploadStatusReq, { fileId }).then((s) => s.complete && finish(), (err: unknown) => finish(err as Error));
    }
  });
}
