import type { z } from 'zod';
import { decodeChunkBody } from './chunk-codec';
import { parseBody } from './frame-body';
import { findLoneSurrogate, LONE_SURROGATE_MESSAGE } from './well-formed';
import type { Frame } from './frame-body';
import {
  BinaryMsgIds,
  FileClientMessageSchemas,
  FileServerMessageSchemas,
  type FileClientFrameId,
  type FileClientMessage,
  type FileClientMessageOf,
  type FileServerFrameId,
  type FileServerMessage,
  type FileServerMessageOf,
} from './file-schemas';
import { recoverReqId, summariseIssues } from './message-codec';
import type { MsgId } from './message-ids';
import { describeMsgId } from './message-ids';
import { UnknownMessageError, ValidationError } from './protocol-errors';
import { encodeFrame } from './tlv-encoder';

type SchemaTable = ReadonlyMap<number, z.ZodType>;

const clientTable: SchemaTable = new Map(Object.entries(FileClientMessageSchemas).map(([id, schema]) => [Number(id), schema as z.ZodType]));
const serverTable: SchemaTable = new Map(Object.entries(FileServerMessageSchemas).map(([id, schema]) => [Number(id), schema as z.ZodType]));

function decodeWith(table: SchemaTable, frame: Frame): { id: number; msg: unknown; data?: Buffer; parts?: Buffer[] } {
  const schema = table.get(frame.id);
  if (schema === undefined) throw new UnknownMessageError(frame.id);
  let value: unknown;
  let data: Buffer | undefined;
  let parts: Buffer[] | undefined;
  if (BinaryMsgIds.has(frame.id)) {
    const chunk = decodeChunkBody(frame);
    value = chunk.header;
    data = chunk.data;
    parts = chunk.parts;
  } else {
    value = parseBody(frame);
  }
  const loneSurrogate = findLoneSurrogate(value);
  if (loneSurrogate !== undefined) {
    throw new ValidationError(describeMsgId(frame.id), [{ path: loneSurrogate, message: LONE_SURROGATE_MESSAGE }], recoverReqId(value));
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(describeMsgId(frame.id), summariseIssues(result.error.issues), recoverReqId(value));
  }
  if (data === undefined) return { id: frame.id, msg: result.data };
  return parts ? { id: frame.id, msg: result.data, data, parts } : { id: frame.id, msg: result.data, data };
}

/**
 * File server side: validates a frame from a file client. Binary frames (UploadChunk) come back
 * with `data`, a view of the frame body. Throws the same ProtocolErrors as decodeClientMessage;
 * a binary body whose header length does not fit is MALFORMED_FRAME (fatal).
 */
export function decodeFileClientMessage(frame: Frame): FileClientMessage {
  return decodeWith(clientTable, frame) as FileClientMessage;
}

/** File client side: validates a frame from a file server (DownloadChunk with `data`). */
export function decodeFileServerMessage(frame: Frame): FileServerMessage {
  return decodeWith(serverTable, frame) as FileServerMessage;
}

/** encodeFrame with the body checked against the file client's schema for `id` (JSON ids only). */
export function encodeFileClientMessage<I extends Exclude<FileClientFrameId, typeof MsgId.UploadChunk>>(id: I, msg: FileClientMessageOf<I>): Buffer {
  return encodeFrame(id, msg);
}

/** encodeFrame with the body checked against the file server's schema for `id` (JSON ids only). */
export function encodeFileServerMessage<I extends Exclude<FileServerFrameId, typeof MsgId.DownloadChunk>>(id: I, msg: FileServerMessageOf<I>): Buffer {
  return encodeFrame(id, msg);
}
