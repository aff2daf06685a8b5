/**
 * Carries a ParleyError's `details` (e.g. CODE_COOLDOWN's { retryAfterSec }) across gRPC. The shared
 * `toGrpcError`/`fromGrpcError` pair in @parley/common transports the code and message only, so this adds
 * a JSON trailer `parley-details` on the server side and restores it on the client side.
 */
import type { sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import { ParleyError, toGrpcError, toParleyError, type Logger } from '@parley/common';

export const DETAILS_KEY = 'parley-details';
const MAX_DETAILS_CHARS = 4096;

/** Like `unaryHandler` from @parley/common, plus the error's details in the trailing metadata. */
export function detailedUnaryHandler<Req, Res>(logger: Logger, handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    handler(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const perr = toParleyError(err);
        if (perr.code === 'INTERNAL') logger.error({ err, path: call.getPath() }, 'gRPC handler failed');
        const status = toGrpcError(perr);
        if (perr.details !== undefined && perr.code !== 'INTERNAL') {
          const json = JSON.stringify(perr.details);
          if (json.length <= MAX_DETAILS_CHARS) status.metadata?.set(DETAILS_KEY, json);
        }
        callback(status as ServiceError);
      },
    );
  };
}

/** A ParleyError from `unary()` with the details the server sent restored (unchanged when there are none). */
export function withGrpcDetails(err: unknown): unknown {
  if (!(err instanceof ParleyError) || err.details !== undefined) return err;
  const raw = (err.cause as Partial<ServiceError> | undefined)?.metadata?.get(DETAILS_KEY)[0];
  if (typeof raw !== 'string') return err;
  try {
    return new ParleyError(err.code, err.message, { details: JSON.parse(raw) as unknown, cause: err.cause });
  } catch {
    return err;
  }
}
