import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorCodes, isErrorCode, ParleyError, type ErrorCode } from '../errors';

const CODE_KEY = 'parley-code';
/** JSON of a ParleyError's public details (e.g. { retryAfterSec }), when it has any. */
const DETAILS_KEY = 'parley-details';
const MAX_DETAILS_CHARS = 4096;

const GRPC_STATUS_FOR_HTTP: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  403: status.PERMISSION_DENIED,
  404: status.NOT_FOUND,
  409: status.ALREADY_EXISTS,
  413: status.RESOURCE_EXHAUSTED,
  422: status.INVALID_ARGUMENT,
  429: status.RESOURCE_EXHAUSTED,
  502: status.UNAVAILABLE,
  503: status.UNAVAILABLE,
  507: status.RESOURCE_EXHAUSTED,
};

/** A ParleyError as a gRPC status with our stable code in the trailing metadata. */
export function toGrpcError(err: ParleyError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(CODE_KEY, err.code);
  if (err.details !== undefined && err.code !== 'INTERNAL') {
    const json = JSON.stringify(err.details);
    if (json.length <= MAX_DETAILS_CHARS) metadata.set(DETAILS_KEY, json);
  }
  return { code: GRPC_STATUS_FOR_HTTP[ErrorCodes[err.code].httpStatus] ?? status.INTERNAL, details: err.message, metadata };
}

/** The other direction: a failed call becomes the ParleyError the server meant, or UNAVAILABLE/INTERNAL. */
export function fromGrpcError(err: ServiceError): ParleyError {
  const code = err.metadata?.get(CODE_KEY)[0];
  if (typeof code === 'string' && isErrorCode(code)) return new ParleyError(code as ErrorCode, err.details, { cause: err, details: readDetails(err) });
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED || err.code === status.CANCELLED) {
    return new ParleyError('UNAVAILABLE', `backing service unavailable: ${err.details || status[err.code]}`, { cause: err });
  }
  return new ParleyError('INTERNAL', undefined, { cause: err });
}

function readDetails(err: ServiceError): unknown {
  const raw = err.metadata?.get(DETAILS_KEY)[0];
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * True when a failed call (a ParleyError from `unary`) never reached a server able to answer it:
 * gRPC UNAVAILABLE (connection refused or lost, or a server refusing work while it shuts down).
 * A deadline is not included: the request may still be running there.
 */
export function isUnreachableError(err: unknown): boolean {
  const cause = err instanceof ParleyError ? (err.cause as Partial<ServiceError> | undefined) : undefined;
  return cause?.code === status.UNAVAILABLE;
}
