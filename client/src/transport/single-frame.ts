import { FRAME_HEADER_BYTES, FrameTooLargeError, MalformedFrameError, type Frame } from '@parley/protocol/codec';

/**
 * Decodes one WebSocket message as exactly one TLV frame: the length field must match the message
 * length, so a frame can neither be split across messages nor share one.
 */
export function decodeSingleFrame(data: Uint8Array, maxBodyBytes: number): Frame {
  if (data.length < FRAME_HEADER_BYTES) {
    throw new MalformedFrameError(`A WebSocket message of ${data.length} bytes is shorter than a frame header`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const id = view.getUint16(0);
  const length = view.getUint32(2);
  if (length > maxBodyBytes) throw new FrameTooLargeError(length, maxBodyBytes);
  if (length !== data.length - FRAME_HEADER_BYTES) {
    throw new MalformedFrameError(`Frame length ${length} does not match the WebSocket message (${data.length - FRAME_HEADER_BYTES} body bytes)`);
  }
  return { id, body: Buffer.from(data.buffer, data.byteOffset + FRAME_HEADER_BYTES, length) };
}
