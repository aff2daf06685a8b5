/**
 * Uploads whose bytes stay in the renderer. The core reads an UploadSource at any offset (resume
 * after a reconnect starts mid-file), so main pulls: each read sends an upload-read request to the
 * page that offered the file and waits for its uploadData answer. Only requested, bounded reads
 * cross, so memory stays at the reads in flight, and a page can never push bytes nobody asked for.
 */
import type { UploadSource } from '@parley/client';
import { BridgeError } from '../shared/bridge-errors';
import { UPLOAD_READ_CHANNEL } from '../shared/channels';
import type { UploadMeta, UploadReadRequest } from '../shared/wire';
import { MAX_UPLOAD_READ_BYTES } from './arg-schemas';
import type { WebContentsLike } from './ipc-types';

export interface UploadBridgeOptions {
  /** How long a read waits for the page. Default 30 s. */
  readTimeoutMs?: number;
  /** Reads in flight over all uploads. Default 16. */
  maxPendingReads?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface PendingRead {
  senderId: number;
  expected: number;
  timer: unknown;
  resolve(bytes: Uint8Array): void;
  reject(err: Error): void;
}

export interface UploadBridge {
  /** An UploadSource for the core whose reads are served by `sender`. */
  source(meta: UploadMeta, sender: WebContentsLike): UploadSource;
  /** The page's answer to read `requestId`: bytes, or null and an error code. */
  answer(senderId: number, requestId: number, bytes: Uint8Array | null, errorCode?: string): void;
  /** Fails every read waiting on `senderId` (its page reloaded or closed). */
  dropSender(senderId: number): void;
  pendingReads(): number;
}

export function createUploadBridge(options: UploadBridgeOptions = {}): UploadBridge {
  const timeoutMs = options.readTimeoutMs ?? 30_000;
  const maxPending = options.maxPendingReads ?? 16;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const pending = new Map<number, PendingRead>();
  let nextRequestId = 1;

  function settle(requestId: number): PendingRead | undefined {
    const read = pending.get(requestId);
    if (!read) return undefined;
    pending.delete(requestId);
    clearTimer(read.timer);
    return read;
  }

  function read(meta: UploadMeta, sender: WebContentsLike, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > meta.size) {
      return Promise.reject(new RangeError(`upload read out of range: offset ${offset}, length ${length}, size ${meta.size}`));
    }
    const expected = Math.min(length, meta.size - offset, MAX_UPLOAD_READ_BYTES);
    if (expected === 0) return Promise.resolve(new Uint8Array(0));
    if (sender.isDestroyed()) return Promise.reject(new BridgeError('UPLOAD_SOURCE_GONE'));
    if (pending.size >= maxPending) return Promise.reject(new BridgeError('UPLOAD_BUSY'));
    const requestId = nextRequestId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimer(() => settle(requestId)?.reject(new BridgeError('UPLOAD_READ_TIMEOUT')), timeoutMs);
      pending.set(requestId, { senderId: sender.id, expected, timer, resolve, reject });
      const request: UploadReadRequest = { uploadId: meta.uploadId, requestId, offset, length: expected };
      sender.send(UPLOAD_READ_CHANNEL, request);
    });
  }

  return {
    source(meta, sender) {
      return { name: meta.name, mime: meta.mime, size: meta.size, read: (offset, length) => read(meta, sender, offset, length) };
    },
    answer(senderId, requestId, bytes, errorCode) {
      const waiting = pending.get(requestId);
      // Another page may not answer (or cancel) a read it was not asked for.
      if (!waiting || waiting.senderId !== senderId) throw new BridgeError('UPLOAD_BAD_DATA', 'No such upload read is waiting.');
      settle(requestId);
      if (bytes === null) {
        waiting.reject(new BridgeError(errorCode === 'UPLOAD_SOURCE_GONE' ? 'UPLOAD_SOURCE_GONE' : 'UPLOAD_BAD_DATA'));
      } else if (bytes.byteLength !== waiting.expected) {
        waiting.reject(new BridgeError('UPLOAD_BAD_DATA', `Expected ${waiting.expected} bytes, got ${bytes.byteLength}.`));
        throw new BridgeError('UPLOAD_BAD_DATA', `Expected ${waiting.expected} bytes, got ${bytes.byteLength}.`);
      } else {
        waiting.resolve(bytes);
      }
    },
    dropSender(senderId) {
      for (const [requestId, read] of [...pending]) {
        if (read.senderId === senderId) settle(requestId)?.reject(new BridgeError('UPLOAD_SOURCE_GONE'));
      }
    },
    pendingReads: () => pending.size,
  };
}
