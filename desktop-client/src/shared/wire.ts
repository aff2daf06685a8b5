/**
 * What crosses the bridge besides ParleyApi's own plain data: reply envelopes, event envelopes,
 * the snapshot and the upload messages. Errors cross as `{ code, message }` (never an Error object:
 * contextBridge keeps only an Error's message, and a stack must never reach the UI).
 */
import type { ParleyEvents } from '@parley/client';
import type { EventName, StateEvent } from './channels';

export interface WireError {
  code: string;
  message: string;
}

export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: WireError };

/** Every event is stamped with a main-process sequence number so the preload can order it against a snapshot. */
export interface EventEnvelope<K extends EventName = EventName> {
  seq: number;
  value: ParleyEvents[K];
}

export type StateValues = { [K in StateEvent]?: ParleyEvents[K] };

export interface Snapshot {
  /** The seq of the last event sent before the snapshot was taken. */
  seq: number;
  state: StateValues;
}

/** Describes an upload whose bytes stay in the renderer; main pulls them with upload reads. */
export interface UploadMeta {
  uploadId: string;
  name: string;
  mime: string;
  size: number;
}

export interface UploadReadRequest {
  uploadId: string;
  requestId: number;
  offset: number;
  length: number;
}

export interface TransferStarted {
  tag: string;
  transferId: string;
}
