import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MAX_WRITE_BATCH, writevFully } from './file-writes';
import type { FileClient, ReceivedChunk } from './file-client';
import type { DownloadResp } from './file-schemas';
import { MsgId } from './message-ids';
import { ConnectionClosedError, ProtocolError } from './protocol-errors';
import type { ProgressMeter } from './transfer-progress';

/** Where downloaded bytes go: an open file already holding `offset` bytes, and their hash so far. */
export interface DownloadSink {
  handle: FileHandle;
  offset: number;
  hash: Hash;
}

export interface DownloadAttemptOptions {
  meter: ProgressMeter;
  signal?: AbortSignal;
}

/** Disk writes queued before the socket stops being read (and resumes at half). */
const MAX_QUEUED_WRITES = 8;

/**
 * One attempt on one connection: DownloadReq from `sink.offset`, then every DownloadChunk of the
 * file written at its offset and fed to the hash, until the last byte is on disk. Reading pauses
 * while the disk lags, so memory stays bounded. Resolves with DownloadResp (size, sha256, name,
 * mime) and leaves `sink.offset` at the end; the caller checks the hash. After a failure the
 * file holds what arrived, and a new attempt goes on from its length.
 */
export function downloadOnce(client: FileClient, fileId: number, sink: DownloadSink, options: DownloadAttemptOptions): Promise<DownloadResp> {
  return new Promise<DownloadResp>((resolve, reject) => {
    let expected = sink.offset;
    let resp: DownloadResp | undefined;
    /** Received chunks not yet on disk, consecutive from sink.offset. */
    const pending: Buffer[] = [];
    let writer: Promise<void> | undefined;
    let queued = 0;
    let paused = false;
    let settled = false;

    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      client.off('chunk', onChunk);
      client.off('fileError', onError);
      client.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
      if (paused) client.resumeReading();
      if (!err && resp) {
        resolve(resp);
        return;
      }
      if (client.isOpen) client.send(MsgId.DownloadCancel, { fileId });
      // The writes already under way land before the next attempt looks at the file.
      void (writer ?? Promise.resolve()).then(() => reject(err ?? new Error('download ended without a response')));
    };
    const maybeDone = () => {
      if (!resp || sink.offset !== resp.size || queued !== 0) return;
      options.meter.update(sink.offset, true);
      finish();
    };
    const onChunk = (chunk: ReceivedChunk) => {
      if (chunk.fileId !== fileId || settled) return;
      if (chunk.offset !== expected) {
        finish(new ProtocolError('INTERNAL', `Chunk at ${chunk.offset}, expected ${expected}`, { details: { fileId } }));
        return;
      }
      const { data } = chunk;
      expected += data.length;
      sink.hash.update(data);
      queued++;
      if (!paused && queued >= MAX_QUEUED_WRITES) {
        paused = true;
        client.pauseReading();
      }
      pending.push(data);
      writer ??= writeQueued();
    };
    /** Writes what queued up, a batch (one writev) at a time; chunks that arrive meanwhile join the next batch. */
    const writeQueued = async (): Promise<void> => {
      try {
        while (pending.length > 0) {
          const batch = pending.splice(0, MAX_WRITE_BATCH);
          await writevFully(sink.handle, batch, sink.offset);
          for (const b of batch) {
            sink.offset += b.length;
            client.release(b);
          }
          queued -= batch.length;
          if (paused && queued <= MAX_QUEUED_WRITES / 2) {
            paused = false;
            client.resumeReading();
          }
          options.meter.update(sink.offset);
        }
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      } finally {
        writer = undefined;
      }
      maybeDone();
    };
    const onError = (err: ProtocolError) => {
      if ((err.details as { fileId?: unknown } | undefined)?.fileId === fileId) finish(err);
    };
    const onClose = () => finish(new ConnectionClosedError(`Connection closed during the download of file ${fileId}`));
    const onAbort = () => finish(new Error('download aborted'));

    // Listening before asking: chunks decoded in the same read as the response come before its promise settles.
    client.on('chunk', onChunk);
    client.on('fileError', onError);
    client.on('close', onClose);
    options.signal?.addEventListener('abort', onAbort);
    client.request(MsgId.DownloadReq, { fileId, offset: sink.offset }).then(
      (r) => {
        resp = r;
        options.meter.total = r.size;
        options.meter.update(sink.offset, true);
        maybeDone();
      },
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    );
  });
}

