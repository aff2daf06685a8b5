/** Codes the core itself raises (besides the protocol's and the gate's): stable, documented in docs/client.md. */
export type ClientErrorCode = 'OFFLINE' | 'SIGNED_OUT' | 'SOURCE_CHANGED' | 'NO_FILE_SERVER' | 'INVALID_ID';

export class ClientError extends Error {
  override readonly name = 'ClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}
