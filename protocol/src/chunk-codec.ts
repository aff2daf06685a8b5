import { dropBytes } from './buffer-list';
import type { Frame } from './frame-body';
import { MalformedFrameError } from './protocol-errors';
import { decodeUtf8Strict } from './strict-utf8';
import { CHUNK_HEADER_LENGTH_BYTES, FRAME_HEADER_BYTES, MAX_CHUNK_HEADER_BYTES, MAX_LENGTH_FIELD, MAX_MESSAGE_ID } from './protocol-limits';

/*
 * Binary frame bodies (UploadChunk, DownloadChunk): a uint32 BE length, that many bytes of UTF-8
 * JSON header, then the raw data to the end of the body. Data never passes through JSON, so a
 * chunk costs no base64 and no copy beyond the one the frame decoder makes.
 */

/** A binary body split into its JSON header (not yet schema-checked) and its data. */
export interface ChunkBody {
  header: unknown;
  /** A view of the frame body: copy it to keep it past the frame. Empty when `parts` is set. */
  data: Buffer;
  /** The data in pieces, when the frame was gathered (Frame `parts`): views of the received chunks. */
  parts?: Buffer[];
}

/**
 * The bytes in front of a binary frame's data: the 6-byte frame header, the header length and the
 * JSON header. Writing these and then `data` (cork/writev) sends a chunk without copying it.
 */
export function chunkFrameHead(id: number, header: object, dataLength: number): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > MAX_MESSAGE_ID) throw new RangeError(`Message id must be an integer in 0..${MAX_MESSAGE_ID}, got ${id}`);
  const json = JSON.stringify(header);
  const jsonLength = Buffer.byteLength(json, 'utf8');
  if (jsonLength > MAX_CHUNK_HEADER_BYTES) throw new RangeError(`Chunk header of ${jsonLength} bytes exceeds ${MAX_CHUNK_HEADER_BYTES}`);
  const bodyLength = CHUNK_HEADER_LENGTH_BYTES + jsonLength + dataLength;
  if (!Number.isInteger(dataLength) || dataLength < 0 || bodyLength > MAX_LENGTH_FIELD) throw new RangeError(`Chunk of ${dataLength} bytes does not fit a frame`);
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + CHUNK_HEADER_LENGTH_BYTES + jsonLength);
  head.writeUInt16BE(id, 0);
  head.writeUInt32BE(bodyLength, 2);
  head.writeUInt32BE(jsonLength, FRAME_HEADER_BYTES);
  head.write(json, FRAME_HEADER_BYTES + CHUNK_HEADER_LENGTH_BYTES, jsonLength, 'utf8');
  return head;
}

/** One buffer holding a whole binary frame (tests, small chunks); servers write head and data separately. */
export function encodeChunkFrame(id: number, header: object, data: Uint8Array): Buffer {
  return Buffer.concat([chunkFrameHead(id, header, data.length), data]);
}

/**
 * Splits a binary frame body. Throws MalformedFrameError when the header length runs past the
 * body or the limit, or the header is not UTF-8 JSON: the framing held, but the peer is broken.
 */
export function decodeChunkBody(frame: Frame): ChunkBody {
  if (frame.parts) return decodeGatheredBody(frame.id, frame.parts);
  const { body, id } = frame;
  if (body.length < CHUNK_HEADER_LENGTH_BYTES) {
    throw new MalformedFrameError(`Binary body of message id ${id} is shorter than its header length field`);
  }
  const headerLength = body.readUInt32BE(0);
  if (headerLength > MAX_CHUNK_HEADER_BYTES || headerLength > body.length - CHUNK_HEADER_LENGTH_BYTES) {
    throw new MalformedFrameError(`Binary body of message id ${id} announces a ${headerLength}-byte header`, {
      details: { headerLength, bodyLength: body.length },
    });
  }
  const end = CHUNK_HEADER_LENGTH_BYTES + headerLength;
  const json = body.subarray(CHUNK_HEADER_LENGTH_BYTES, end);
  const text = decodeUtf8Strict(json);
  if (text === undefined) throw new MalformedFrameError(`Chunk header of message id ${id} is not valid UTF-8`);
  let header: unknown;
  try {
    header = JSON.parse(text) as unknown;
  } catch (err) {
    throw new MalformedFrameError(`Chunk header of message id ${id} is not valid JSON`, { cause: err });
  }
  return { header, data: body.subarray(end) };
}

/**
 * A gathered body: the header is decoded from a contiguous copy of its first bytes (a few hundred
 * at most), the data stays in the received pieces.
 */
function decodeGatheredBody(id: number, parts: Buffer[]): ChunkBody {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const prefixLength = Math.min(total, CHUNK_HEADER_LENGTH_BYTES + MAX_CHUNK_HEADER_BYTES);
  const first = parts[0];
  const prefix = first && first.length >= prefixLength ? first.subarray(0, prefixLength) : copyPrefix(parts, prefixLength);
  const { header, data } = decodeChunkBody({ id, body: prefix });
  return { header, data: Buffer.alloc(0), parts: dropBytes(parts, prefixLength - data.length) };
}

function copyPrefix(parts: Buffer[], length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const p of parts) {
    if (at >= length) break;
    at += p.copy(out, at, 0, Math.min(p.length, length - at));
  }
  return out;
}
