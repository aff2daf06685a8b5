import { FRAME_HEADER_BYTES, MAX_LENGTH_FIELD, MAX_MESSAGE_ID } from './protocol-limits';

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_MESSAGE_ID) {
    throw new RangeError(`Message id must be an integer in 0..${MAX_MESSAGE_ID}, got ${id}`);
  }
}

function checkLength(length: number): void {
  if (length > MAX_LENGTH_FIELD) {
    throw new RangeError(`Frame body of ${length} bytes does not fit the uint32 length field`);
  }
}

/**
 * Encodes `body` as JSON into a single buffer with the header in front. Measuring the string
 * first lets us allocate once and write the UTF-8 in place instead of concatenating.
 */
export function encodeFrame(id: number, body: object): Buffer {
  checkId(id);
  const json = JSON.stringify(body) as string | undefined;
  if (json === undefined) {
    throw new TypeError(`Body of message id ${id} is not JSON-serialisable`);
  }
  const length = Buffer.byteLength(json, 'utf8');
  checkLength(length);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.writeUInt16BE(id, 0);
  frame.writeUInt32BE(length, 2);
  frame.write(json, FRAME_HEADER_BYTES, length, 'utf8');
  return frame;
}

/** Frames an already-encoded body (pre-serialised fan-out payloads, tests of bad bodies). */
export function encodeFrameRaw(id: number, body: Uint8Array): Buffer {
  checkId(id);
  checkLength(body.length);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt16BE(id, 0);
  frame.writeUInt32BE(body.length, 2);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}
