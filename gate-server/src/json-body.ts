/**
 * Reads JSON request bodies. Not body-parser: on an over-limit or undecodable body it reads the whole
 * request before answering, so a client announcing 10 MB (or streaming chunks without end) kept the gate
 * reading. Here a body is refused as soon as it is known to be unacceptable — from the headers
 * (Content-Length over the limit, a Content-Encoding, a charset other than UTF-8) before a byte is read,
 * or the moment a chunked body passes the limit — and the answer closes the connection, so the rest of the
 * body is never read.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ParleyError } from '@parley/common';
import { findLoneSurrogate, mayHoldSurrogateEscape } from '@parley/protocol';

/** Requests whose body has been read (or refused), so a second reader on the route skips them. */
const handled = new WeakSet<Request>();

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const DIGITS = /^\d+$/;

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** Why the headers alone refuse the body, or undefined. */
function headerProblem(req: Request, limitBytes: number): ParleyError | undefined {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return new ParleyError('BAD_REQUEST', 'Content-Encoding is not accepted: send the body uncompressed', { details: { contentEncoding: encoding.slice(0, 40) } });
  }
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return new ParleyError('BAD_REQUEST', 'The request body must be UTF-8 JSON');
  const length = req.headers['content-length'];
  if (length !== undefined && DIGITS.test(length) && Number(length) > limitBytes) return tooLarge(limitBytes);
  return undefined;
}

function tooLarge(limitBytes: number): ParleyError {
  return new ParleyError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes`, { details: { limitBytes } });
}

/**
 * One decoder for every body: creating one per request costs more than decoding a login's body, and a
 * decode() without { stream: true } starts from a clean state, whatever the previous call threw.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON: an object or array (a bare scalar is refused like malformed JSON); empty = {}. */
function parse(bytes: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ParleyError('BAD_REQUEST', 'The request body must be UTF-8 JSON');
  }
  const trimmed = text.trimStart();
  if (trimmed === '') return {};
  if (trimmed[0] !== '{' && trimmed[0] !== '[') throw new ParleyError('BAD_REQUEST', 'The request body is not valid JSON');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new ParleyError('BAD_REQUEST', 'The request body is not valid JSON');
  }
  // A `\uD800` escape is valid JSON but no text: storing it would alter it.
  const path = mayHoldSurrogateEscape(text) ? findLoneSurrogate(value) : undefined;
  if (path !== undefined) {
    throw new ParleyError('BAD_REQUEST', 'The request body holds a lone surrogate (an unpaired \\uD800–\\uDFFF escape)', { details: { field: path || 'body' } });
  }
  return value;
}

/** Passes `err` on with `Connection: close`: the unread rest of the body goes with the connection. */
function refuse(res: Response, next: (err: unknown) => void, err: ParleyError): void {
  res.set('Connection', 'close');
  next(err);
}

/** Parses an `application/json` body of at most limitBytes into req.body; other requests pass untouched. */
export function jsonBody(limitBytes: number): RequestHandler {
  return (req, res, next) => {
    if (handled.has(req) || !hasBody(req) || !req.is('application/json')) {
      next();
      return;
    }
    handled.add(req);
    const problem = headerProblem(req, limitBytes);
    if (problem) {
      refuse(res, next, problem);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err?: ParleyError, body?: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (err) {
        req.pause();
        refuse(res, next, err);
        return;
      }
      req.body = body;
      next();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) settle(tooLarge(limitBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        settle(undefined, parse(Buffer.concat(chunks, received)));
      } catch (err) {
        settle(err as ParleyError);
      }
    };
    const onClose = () => settle(new ParleyError('BAD_REQUEST', 'The request body was not received completely'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  };
}
