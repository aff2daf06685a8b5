import { ErrorCodes } from './error-codes';
import type { ErrorCode } from './error-codes';

export interface ProtocolErrorOptions {
  /** The request this error answers, so a server can reply to that request only. */
  reqId?: number;
  details?: unknown;
  cause?: unknown;
}

/** The body of an Error frame (id 1), as a server sends it. */
export interface ErrorBody {
  reqId?: number;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** Short, wire-friendly form of one schema issue. */
export interface IssueSummary {
  path: string;
  message: string;
}

/**
 * Base of every error the protocol layer raises. `code` is from the shared table so a server
 * can turn any of these into an Error frame without a mapping of its own.
 */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ErrorCode;
  readonly reqId: number | undefined;
  readonly details: unknown;
  /** True when the byte stream can no longer be trusted and the connection must close. */
  readonly fatal: boolean = false;

  constructor(code: ErrorCode, message?: string, options: ProtocolErrorOptions = {}) {
    super(message ?? ErrorCodes[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reqId = options.reqId;
    this.details = options.details;
  }

  /** The Error frame body for this error; omits absent fields to keep frames small. */
  toErrorBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.reqId !== undefined) body.reqId = this.reqId;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

/** The length field exceeds the limit; raised from the header alone, before any body byte. */
export class FrameTooLargeError extends ProtocolError {
  override readonly name: string = 'FrameTooLargeError';
  override readonly fatal = true;
  readonly length: number;
  readonly maxBodyBytes: number;

  constructor(length: number, maxBodyBytes: number) {
    super('FRAME_TOO_LARGE', `Frame body of ${length} bytes exceeds the limit of ${maxBodyBytes}`, {
      details: { length, maxBodyBytes },
    });
    this.length = length;
    this.maxBodyBytes = maxBodyBytes;
  }
}

/** The body is not UTF-8 JSON. Framing is intact, but the peer is broken: close. */
export class MalformedFrameError extends ProtocolError {
  override readonly name: string = 'MalformedFrameError';
  override readonly fatal = true;

  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super('MALFORMED_FRAME', message, options);
  }
}

/** The id is not one this side accepts. Not fatal: newer peers may send ids we do not know. */
export class UnknownMessageError extends ProtocolError {
  override readonly name: string = 'UnknownMessageError';
  readonly messageId: number;

  constructor(messageId: number) {
    super('UNKNOWN_MESSAGE', `Unknown message id ${messageId}`, { details: { id: messageId } });
    this.messageId = messageId;
  }
}

/** Well-formed JSON that fails the message schema; `details` lists the issues. */
export class ValidationError extends ProtocolError {
  override readonly name: string = 'ValidationError';
  readonly issues: readonly IssueSummary[];

  constructor(messageName: string, issues: readonly IssueSummary[], reqId?: number) {
    const first = issues[0];
    const summary = first === undefined ? 'invalid' : `${first.path || '(root)'}: ${first.message}`;
    super('VALIDATION_FAILED', `Invalid ${messageName}: ${summary}`, { reqId, details: issues });
    this.issues = issues;
  }
}

/** A request got no response in time. UNAVAILABLE because retrying later is the remedy. */
export class RequestTimeoutError extends ProtocolError {
  override readonly name: string = 'RequestTimeoutError';

  constructor(reqId: number, timeoutMs: number) {
    super('UNAVAILABLE', `Request ${reqId} timed out after ${timeoutMs} ms`, { reqId });
  }
}

/** The connection closed (or was never open) while a request was outstanding. */
export class ConnectionClosedError extends ProtocolError {
  override readonly name: string = 'ConnectionClosedError';

  constructor(message = 'The connection is closed', options: ProtocolErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
