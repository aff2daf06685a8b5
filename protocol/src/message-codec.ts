import type { z } from 'zod';
import { parseBody } from './frame-body';
import type { Frame } from './frame-body';
import { describeMsgId } from './message-ids';
import { ClientMessageSchemas, ServerMessageSchemas } from './message-schemas';
import type {
  ClientFrameId,
  ClientMessage,
  ClientMessageOf,
  ServerFrameId,
  ServerMessage,
  ServerMessageOf,
} from './message-schemas';
import { UnknownMessageError, ValidationError } from './protocol-errors';
import type { IssueSummary } from './protocol-errors';
import { MAX_REQ_ID } from './protocol-limits';
import { encodeFrame } from './tlv-encoder';
import { findLoneSurrogate, LONE_SURROGATE_MESSAGE, mayHoldSurrogateEscape } from './well-formed';

/** Error details go back on the wire; a hostile message must not make them large. */
const MAX_REPORTED_ISSUES = 10;

type SchemaTable = ReadonlyMap<number, z.ZodType>;

// Maps give O(1) lookup without prototype keys leaking in as "known" ids.
const clientTable: SchemaTable = new Map(
  Object.entries(ClientMessageSchemas).map(([id, schema]) => [Number(id), schema as z.ZodType]),
);
const serverTable: SchemaTable = new Map(
  Object.entries(ServerMessageSchemas).map(([id, schema]) => [Number(id), schema as z.ZodType]),
);

export function summariseIssues(issues: readonly z.core.$ZodIssue[]): IssueSummary[] {
  return issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** The reqId of a message that failed validation, if it has a usable one. */
export function recoverReqId(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const reqId = (value as { reqId?: unknown }).reqId;
  return typeof reqId === 'number' && Number.isInteger(reqId) && reqId >= 0 && reqId <= MAX_REQ_ID
    ? reqId
    : undefined;
}

/**
 * The reqId of a request frame, read without validating the rest of it (undefined when the body is
 * not JSON or has no usable reqId). For answering a request the server refuses whatever it holds,
 * e.g. OVERLOADED while it sheds load, at a fraction of a full decode's cost.
 */
export function peekReqId(frame: Frame): number | undefined {
  try {
    return recoverReqId(parseBody(frame));
  } catch {
    return undefined;
  }
}

function decodeWith(table: SchemaTable, frame: Frame): { id: number; msg: unknown } {
  const schema = table.get(frame.id);
  if (schema === undefined) {
    throw new UnknownMessageError(frame.id);
  }
  const value = parseBody(frame);
  if (mayHoldSurrogateEscape(frame.body)) {
    const path = findLoneSurrogate(value);
    if (path !== undefined) {
      throw new ValidationError(describeMsgId(frame.id), [{ path, message: LONE_SURROGATE_MESSAGE }], recoverReqId(value));
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(describeMsgId(frame.id), summariseIssues(result.error.issues), recoverReqId(value));
  }
  return { id: frame.id, msg: result.data };
}

/**
 * Server side: validates a frame from a client. Throws UnknownMessageError, MalformedFrameError
 * or ValidationError (with the reqId when it could be read), all ProtocolErrors.
 */
export function decodeClientMessage(frame: Frame): ClientMessage {
  return decodeWith(clientTable, frame) as ClientMessage;
}

/** Client side: validates a frame from a server; same errors as decodeClientMessage. */
export function decodeServerMessage(frame: Frame): ServerMessage {
  return decodeWith(serverTable, frame) as ServerMessage;
}

export function isClientFrameId(id: number): id is ClientFrameId {
  return clientTable.has(id);
}

export function isServerFrameId(id: number): id is ServerFrameId {
  return serverTable.has(id);
}

/** encodeFrame with the body type checked against the client→server schema for `id`. */
export function encodeClientMessage<I extends ClientFrameId>(id: I, msg: ClientMessageOf<I>): Buffer {
  return encodeFrame(id, msg);
}

/** encodeFrame with the body type checked against the server→client schema for `id`. */
export function encodeServerMessage<I extends ServerFrameId>(id: I, msg: ServerMessageOf<I>): Buffer {
  return encodeFrame(id, msg);
}
