import type { Frame } from './frame-body';
import { FrameTooLargeError } from './protocol-errors';
import type { ProtocolError } from './protocol-errors';
import { FRAME_HEADER_BYTES, MAX_LENGTH_FIELD } from './protocol-limits';

export interface TlvDecoderOptions {
  /** Largest body length accepted; a larger length field fails as soon as the header is in. */
  maxBodyBytes: number;
  /** Where the body of a frame spanning several chunks goes (default Buffer.allocUnsafe); a BufferPool for file chunks. */
  allocate?: (id: number, length: number) => Buffer;
  /**
   * Called as each frame completes, before the next header is read: a limit changed here (e.g. by
   * a server once the first frame is a valid LoginReq) applies to the very next frame of the chunk.
   */
  onFrame?: (frame: Frame) => void;
  /**
   * The caller reads the socket into one buffer it reuses (net's `onread`): every body is copied
   * out (through `allocate`), none is a view of the input, which the next read overwrites.
   */
  inputReused?: boolean;
  /**
   * Frames of these ids are not copied into one body: they come back with `parts`, views of the
   * input chunks they arrived in (a file server's upload chunks: the copy was a sixth of its CPU).
   * Not with `inputReused`.
   */
  gather?: (id: number) => boolean;
}

type ReadState = 'header' | 'body' | 'failed';

function checkedLimit(maxBodyBytes: number): number {
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0 || maxBodyBytes > MAX_LENGTH_FIELD) {
    throw new RangeError(`maxBodyBytes must be an integer in 0..${MAX_LENGTH_FIELD}, got ${maxBodyBytes}`);
  }
  return maxBodyBytes;
}

const EMPTY = Buffer.alloc(0);

/** Pieces a gathered body may arrive in before it is copied into one buffer after all. */
export const MAX_GATHERED_PARTS = 32;

/**
 * Incremental frame decoder for one byte stream (one per connection).
 *
 * Memory is bounded by design: the header is gathered in a fixed 6-byte buffer and the body
 * in a buffer of exactly the announced length, allocated only after the length passed the
 * limit. Each input byte is copied at most once, so many tiny chunks cost O(n), not O(n^2).
 * When a whole frame sits inside one chunk, its body is a view of that chunk (no copy), unless
 * the caller reuses its input buffer (`inputReused`).
 */
export class TlvDecoder {
  private maxBody: number;

  private state: ReadState = 'header';
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private frameId = 0;
  private body: Buffer = EMPTY;
  private bodyFilled = 0;
  private failure: ProtocolError | undefined;
  private readonly allocate: ((id: number, length: number) => Buffer) | undefined;
  private readonly onFrame: ((frame: Frame) => void) | undefined;
  private readonly inputReused: boolean;
  private readonly gather: ((id: number) => boolean) | undefined;
  /** The pieces of a gathered body so far (state 'body' with `parts` set), and the bytes still to come. */
  private parts: Buffer[] | undefined;
  private partsMissing = 0;

  constructor(options: TlvDecoderOptions) {
    this.allocate = options.allocate;
    this.onFrame = options.onFrame;
    this.inputReused = options.inputReused ?? false;
    this.gather = options.gather;
    if (this.inputReused && this.gather) throw new RangeError('gather needs an input that is not reused');
    this.maxBody = checkedLimit(options.maxBodyBytes);
  }

  /** Largest body length accepted for the next frames. */
  get maxBodyBytes(): number {
    return this.maxBody;
  }

  /**
   * Changes the limit for frames whose header has not been read yet (a server raises it once the
   * client has logged in); a body already being read keeps the length it was accepted with.
   */
  set maxBodyBytes(value: number) {
    this.maxBody = checkedLimit(value);
  }

  /** Bytes of the current partial frame held by the decoder (never above header + max). */
  get bufferedBytes(): number {
    if (this.state === 'body' && this.parts) return this.parts.reduce((n, p) => n + p.length, 0);
    return this.state === 'body' ? this.bodyFilled : this.headerFilled;
  }

  /** True once a push has thrown; the stream position is lost, so the decoder stays failed. */
  get failed(): boolean {
    return this.state === 'failed';
  }

  /**
   * Feeds the next chunk and returns every frame it completes, in order. Throws
   * FrameTooLargeError on an oversized length; after that every call throws.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failure !== undefined) {
      throw this.failure;
    }
    const input = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < input.length) {
      if (this.state === 'header') {
        offset = this.readHeader(input, offset, frames);
      } else if (this.parts) {
        offset = this.readParts(input, offset, frames);
      } else {
        offset = this.readBody(input, offset, frames);
      }
    }
    return frames;
  }

  private readHeader(input: Buffer, offset: number, frames: Frame[]): number {
    let id: number;
    let length: number;
    if (this.headerFilled === 0 && input.length - offset >= FRAME_HEADER_BYTES) {
      // Common case: the header is contiguous in this chunk, read it in place.
      id = input.readUInt16BE(offset);
      length = input.readUInt32BE(offset + 2);
      offset += FRAME_HEADER_BYTES;
    } else {
      const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, input.length - offset);
      input.copy(this.header, this.headerFilled, offset, offset + take);
      this.headerFilled += take;
      offset += take;
      if (this.headerFilled < FRAME_HEADER_BYTES) {
        return offset;
      }
      this.headerFilled = 0;
      id = this.header.readUInt16BE(0);
      length = this.header.readUInt32BE(2);
    }

    if (length > this.maxBody) {
      this.fail(new FrameTooLargeError(length, this.maxBody));
    }
    if (length === 0) {
      this.complete(frames, { id, body: EMPTY });
      return offset;
    }
    if (input.length - offset >= length && !this.inputReused) {
      this.complete(frames, { id, body: input.subarray(offset, offset + length) });
      return offset + length;
    }
    this.frameId = id;
    if (this.gather?.(id)) {
      // The body stays where it arrived; its pieces collect in `parts`.
      this.parts = [];
      this.partsMissing = length;
      this.state = 'body';
      return offset;
    }
    this.body = this.allocate ? this.allocate(id, length) : Buffer.allocUnsafe(length);
    this.bodyFilled = 0;
    this.state = 'body';
    return offset;
  }

  private readBody(input: Buffer, offset: number, frames: Frame[]): number {
    const take = Math.min(this.body.length - this.bodyFilled, input.length - offset);
    input.copy(this.body, this.bodyFilled, offset, offset + take);
    this.bodyFilled += take;
    if (this.bodyFilled === this.body.length) {
      const frame = { id: this.frameId, body: this.body };
      this.body = EMPTY;
      this.bodyFilled = 0;
      this.state = 'header';
      this.complete(frames, frame);
    }
    return offset + take;
  }

  private readParts(input: Buffer, offset: number, frames: Frame[]): number {
    const parts = this.parts as Buffer[];
    if (parts.length >= MAX_GATHERED_PARTS) {
      // A peer trickling its frame in tiny reads would make many small pieces (and objects) per
      // byte: such a frame is copied into one body after all, like any other.
      const held = parts.reduce((n, p) => n + p.length, 0);
      this.body = this.allocate ? this.allocate(this.frameId, held + this.partsMissing) : Buffer.allocUnsafe(held + this.partsMissing);
      this.bodyFilled = 0;
      for (const p of parts) this.bodyFilled += p.copy(this.body, this.bodyFilled);
      this.parts = undefined;
      return this.readBody(input, offset, frames);
    }
    const take = Math.min(this.partsMissing, input.length - offset);
    parts.push(input.subarray(offset, offset + take));
    this.partsMissing -= take;
    if (this.partsMissing === 0) {
      this.parts = undefined;
      this.state = 'header';
      this.complete(frames, { id: this.frameId, body: EMPTY, parts });
    }
    return offset + take;
  }

  private complete(frames: Frame[], frame: Frame): void {
    frames.push(frame);
    this.onFrame?.(frame);
  }

  private fail(error: ProtocolError): never {
    this.state = 'failed';
    this.failure = error;
    this.parts = undefined;
    this.body = EMPTY;
    this.bodyFilled = 0;
    this.headerFilled = 0;
    throw error;
  }
}
