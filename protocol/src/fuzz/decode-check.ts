import { performance } from 'node:perf_hooks';
import { isErrorCode } from '../error-codes';
import { decodeFileClientMessage } from '../file-codec';
import { FileClientMessageSchemas } from '../file-schemas';
import { decodeClientMessage, isClientFrameId } from '../message-codec';
import { ProtocolError } from '../protocol-errors';
import { TlvDecoder } from '../tlv-decoder';
import type { Prng } from './prng';

const FILE_ONLY_IDS = new Set(Object.keys(FileClientMessageSchemas).map(Number));

/** What the protocol layer made of one input, as a server would see it. */
export interface DecodeResult {
  /** Frames the decoder completed. */
  frames: number;
  /** Frames the message decoder accepted. */
  accepted: number;
  /** Error codes raised (decoder and message decoders), in order. */
  codes: string[];
  /** A throw that is not a ProtocolError with a code of the table: a bug. */
  crash?: string;
  ms: number;
}

/**
 * Feeds one input through a TlvDecoder (split into random chunks, as a socket would deliver it) and
 * every completed frame through the message decoder a chat (or, for file ids, file) server uses. Refusals must be ProtocolErrors whose code
 * is in the shared error table; anything else thrown is reported as a crash.
 */
export function decodeCheck(prng: Prng, bytes: Buffer, maxBodyBytes: number): DecodeResult {
  const started = performance.now();
  const result: DecodeResult = { frames: 0, accepted: 0, codes: [], ms: 0 };
  const refused = (err: unknown): boolean => {
    if (err instanceof ProtocolError && isErrorCode(err.code)) {
      result.codes.push(err.code);
      return true;
    }
    result.crash = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : String(err);
    return false;
  };
  const decoder = new TlvDecoder({ maxBodyBytes });
  let at = 0;
  outer: while (at < bytes.length) {
    // Byte-sized pieces for small inputs, at most a few dozen pushes for large ones.
    const end = prng.chance(0.3) ? bytes.length : Math.min(bytes.length, at + prng.int(1, Math.max(64, bytes.length >> 4)));
    let frames;
    try {
      frames = decoder.push(bytes.subarray(at, end));
    } catch (err) {
      refused(err);
      break;
    }
    at = end;
    for (const frame of frames) {
      result.frames++;
      // The chat server's decoder, or the file server's for the ids only a file server knows.
      const decode = isClientFrameId(frame.id) || !FILE_ONLY_IDS.has(frame.id) ? decodeClientMessage : decodeFileClientMessage;
      try {
        decode(frame);
        result.accepted++;
      } catch (err) {
        if (!refused(err)) break outer;
      }
    }
  }
  result.ms = performance.now() - started;
  return result;
}
