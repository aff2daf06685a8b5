/**
 * Error codes the desktop bridge itself produces (the core's own codes pass through unchanged).
 * Stable API, documented in docs/desktop.md ("Error codes"); a test checks every one is there.
 */
export const BridgeErrorCodes = {
  /** A channel that is not on the allow-list. */
  BRIDGE_UNKNOWN_CHANNEL: 'That request is not part of the desktop bridge.',
  /** An argument of the wrong type, size or count. */
  BRIDGE_BAD_ARGUMENT: 'The request carried an invalid argument.',
  /** The request came from a frame that is not the app's own top-level page. */
  BRIDGE_FORBIDDEN_SENDER: 'The request did not come from the Parley app.',
  /** Something failed without a code of its own; the details stay in the main process log. */
  INTERNAL: 'Something went wrong in the desktop app.',
  /** The page that offered an upload's bytes is gone (reloaded or closed) or forgot the upload. */
  UPLOAD_SOURCE_GONE: 'The file being uploaded is no longer available; choose it again.',
  /** The page did not answer an upload read in time. */
  UPLOAD_READ_TIMEOUT: 'Reading the file being uploaded took too long.',
  /** The page answered an upload read with the wrong number of bytes or for a read nobody asked for. */
  UPLOAD_BAD_DATA: 'The file being uploaded could not be read.',
  /** Too many upload reads at once. */
  UPLOAD_BUSY: 'Too many uploads at once; try again in a moment.',
  /** The client core package does not provide the factory the desktop app needs. */
  DESKTOP_CORE_MISSING: 'The Parley client core is not available in this build.',
} as const;
export type BridgeErrorCode = keyof typeof BridgeErrorCodes;

export class BridgeError extends Error {
  override name = 'BridgeError';
  readonly code: BridgeErrorCode;

  constructor(code: BridgeErrorCode, message: string = BridgeErrorCodes[code], options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const CODE_SHAPE = /^[A-Z][A-Z0-9_]{1,63}$/;
const MAX_MESSAGE_CHARS = 500;

/**
 * The `{ code, message }` that crosses to the renderer. A coded error (the core's typed errors,
 * BridgeError) keeps its code and message; anything else becomes INTERNAL with a fixed sentence,
 * so neither stacks nor internal details reach the UI.
 */
export function toWireError(err: unknown): { code: string; message: string } {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && CODE_SHAPE.test(code) && typeof message === 'string') {
      return { code, message: message.slice(0, MAX_MESSAGE_CHARS) };
    }
  }
  return { code: 'INTERNAL', message: BridgeErrorCodes.INTERNAL };
}
