import { MalformedFrameError } from './protocol-errors';
import { decodeUtf8Strict } from './strict-utf8';

/** One decoded frame. `body` may be a view into the socket chunk it arrived in; copy to keep it long. */
export interface Frame {
  id: number;
  body: Buffer;
  /**
   * A frame the decoder gathered (TlvDecoder `gather`): its body in pieces, views of the chunks
   * it arrived in; `body` is then empty.
   */
  parts?: Buffer[];
}

/**
 * Parses a frame body as UTF-8 JSON. Invalid UTF-8 is rejected rather than replaced with
 * U+FFFD, so a message can never change meaning on its way through the server.
 */
export function parseBody(frame: Frame): unknown {
  const { body } = frame;
  if (body.length === 0) {
    throw new MalformedFrameError(`Empty body for message id ${frame.id}`);
  }
  const text = decodeUtf8Strict(body);
  if (text === undefined) {
    throw new MalformedFrameError(`Body of message id ${frame.id} is not valid UTF-8`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MalformedFrameError(`Body of message id ${frame.id} is not valid JSON`, { cause: err });
  }
}
