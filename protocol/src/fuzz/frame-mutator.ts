import { MsgId } from '../message-ids';
import { FRAME_HEADER_BYTES } from '../protocol-limits';
import { encodeFrameRaw } from '../tlv-encoder';
import { randomJson } from './odd-values';
import { mutateJsonText, mutateJsonValue } from './json-mutator';
import { allSamples } from './frame-samples';
import type { Prng } from './prng';

/** One fuzz input: the bytes a client writes, and how they were made (for the report). */
export interface FuzzFrame {
  kind: string;
  bytes: Buffer;
  /** Every declared body length is present: the bytes end exactly at a frame boundary. */
  complete: boolean;
}

const SAMPLES = allSamples();
const SERVER_IDS = [MsgId.Error, MsgId.Pong, MsgId.LoginResp, MsgId.Kick, MsgId.MessagePush, MsgId.SendAck, MsgId.DownloadChunk, MsgId.UploadDone];

/** Frame mutations on the encoded bytes: headers that lie, bits flipped, bytes cut or added. */
function mutateBytes(prng: Prng, frame: Buffer): [string, Buffer] {
  const out = Buffer.from(frame);
  switch (prng.int(0, 6)) {
    case 0: {
      for (let i = prng.int(1, 8); i > 0; i--) {
        const at = prng.int(0, out.length - 1);
        out[at] = (out[at] ?? 0) ^ (1 << prng.int(0, 7));
      }
      return ['bytes:bit-flips', out];
    }
    case 1:
      return ['bytes:truncated', out.subarray(0, prng.int(0, out.length - 1))];
    case 2:
      return ['bytes:extended', Buffer.concat([out, prng.bytes(prng.int(1, 64))])];
    case 3:
      out.writeUInt16BE(prng.chance(0.5) ? prng.pick(SERVER_IDS) : prng.int(0, 0xffff), 0);
      return ['bytes:wrong-id', out];
    case 4:
      out.writeUInt32BE(prng.pick([0, 1, out.length - FRAME_HEADER_BYTES + 1, 0x7fffffff, 0xffffffff, prng.int(0, 2_000_000)]), 2);
      return ['bytes:lying-length', out];
    case 5:
      return ['bytes:two-frames', Buffer.concat([out, frame])];
    default:
      return ['bytes:empty-body', encodeFrameRaw(out.readUInt16BE(0), Buffer.alloc(0))];
  }
}

/** Whether `bytes` ends exactly where its last declared frame ends. */
export function endsOnFrameBoundary(bytes: Buffer): boolean {
  let at = 0;
  while (bytes.length - at >= FRAME_HEADER_BYTES) {
    const next = at + FRAME_HEADER_BYTES + bytes.readUInt32BE(at + 2);
    if (next > bytes.length) return false;
    at = next;
  }
  return at === bytes.length;
}

/** An UploadChunk body (binary: header length, JSON header, data) with its own mutations. */
function chunkFrame(prng: Prng): [string, Buffer] {
  const header = Buffer.from(JSON.stringify(prng.chance(0.7) ? { fileId: prng.int(1, 5), offset: prng.pick([0, 1, -1, 2 ** 53]) } : randomJson(prng, 2)) ?? 'null');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(prng.chance(0.8) ? header.length : prng.pick([0, header.length + 1, 0xffffffff, 1025]));
  return ['chunk:upload', encodeFrameRaw(MsgId.UploadChunk, Buffer.concat([len, header, prng.bytes(prng.int(0, 300))]))];
}

/** The next fuzz input: a valid sample, or one mutated at the value, text or byte level (or several). */
export function nextFuzzFrame(prng: Prng): FuzzFrame {
  const [id, sample] = prng.pick(SAMPLES);
  let kind = 'valid';
  let value: unknown = sample;
  const roll = prng.float();
  if (roll < 0.05) {
    const [k, bytes] = chunkFrame(prng);
    return { kind: k, bytes, complete: endsOnFrameBoundary(bytes) };
  }
  if (roll < 0.1) {
    const bytes = prng.bytes(prng.int(0, 40));
    return { kind: 'random-bytes', bytes, complete: endsOnFrameBoundary(bytes) };
  }
  if (roll < 0.45) [kind, value] = mutateJsonValue(prng, sample);
  let body: Buffer = Buffer.from(JSON.stringify(value) ?? 'null');
  if (roll >= 0.45 && roll < 0.7) [kind, body] = mutateJsonText(prng, body.toString());
  let bytes: Buffer = encodeFrameRaw(id, body);
  if (roll >= 0.7 && roll < 0.97) [kind, bytes] = mutateBytes(prng, bytes);
  if (roll >= 0.97 && prng.chance(0.5)) {
    const [k, b] = mutateBytes(prng, bytes);
    kind = `${kind}+${k}`;
    bytes = b;
  }
  return { kind, bytes, complete: endsOnFrameBoundary(bytes) };
}
