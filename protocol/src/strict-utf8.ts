/**
 * Strict UTF-8 decoding without node: modules, so the codec runs in the browser too. A fatal
 * TextDecoder throws on invalid input instead of substituting U+FFFD, which is what the protocol
 * requires (a message must never change meaning on its way through), and it decodes in one pass.
 */
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes`, or undefined when they are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
