/**
 * The one table of Parley error codes. HTTP answers and chat-protocol Error frames both carry
 * `{ code, message }` with a code from here; `httpStatus` is how the gate maps it.
 * Codes are stable API: add new ones, never rename or reuse.
 */
export const ErrorCodes = {
  BAD_REQUEST: { httpStatus: 400, message: 'The request is malformed' },
  VALIDATION_FAILED: { httpStatus: 400, message: 'One or more fields are invalid' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, message: 'The request body is too large' },
  NOT_FOUND: { httpStatus: 404, message: 'Not found' },
  INTERNAL: { httpStatus: 500, message: 'Internal server error' },
  UNAVAILABLE: { httpStatus: 503, message: 'A backing service is unavailable; retry later' },
  RATE_LIMITED: { httpStatus: 429, message: 'Too many requests; retry later' },
  OVERLOADED: { httpStatus: 503, message: 'The server is busy; nothing was stored, retry after details.retryAfterMs' },

  EMAIL_INVALID: { httpStatus: 400, message: 'The e-mail address is not valid' },
  CODE_COOLDOWN: { httpStatus: 429, message: 'A code was sent to this address less than a minute ago' },
  CODE_HOURLY_LIMIT: { httpStatus: 429, message: 'Too many codes for this address in the last hour' },
  CODE_IP_LIMIT: { httpStatus: 429, message: 'Too many codes requested from this address' },
  CODE_INVALID: { httpStatus: 400, message: 'The verification code is wrong or has expired' },
  CODE_ATTEMPTS_EXCEEDED: { httpStatus: 400, message: 'Too many wrong tries; ask for a new code' },
  CODE_FAILURE_LIMIT: { httpStatus: 429, message: 'Too many wrong codes for this address in the last 24 hours; try again later' },
  MAIL_FAILED: { httpStatus: 502, message: 'The verification e-mail could not be sent' },

  NAME_TAKEN: { httpStatus: 409, message: 'That user name is taken' },
  EMAIL_TAKEN: { httpStatus: 409, message: 'That e-mail address is already registered' },
  WEAK_PASSWORD: { httpStatus: 400, message: 'The password does not meet the rules' },
  INVALID_CREDENTIALS: { httpStatus: 401, message: 'Wrong name, e-mail or password' },
  NO_CHAT_SERVER: { httpStatus: 503, message: 'No chat server is available' },

  UNAUTHENTICATED: { httpStatus: 401, message: 'Log in first' },
  TOKEN_INVALID: { httpStatus: 401, message: 'The login token is invalid or has expired' },
  FORBIDDEN: { httpStatus: 403, message: 'Not allowed' },
  NOT_FRIENDS: { httpStatus: 403, message: 'Only friends can message each other' },
  NOT_MEMBER: { httpStatus: 403, message: 'Only members can do that' },
  ALREADY_FRIENDS: { httpStatus: 409, message: 'You are already friends' },
  REQUEST_PENDING: { httpStatus: 409, message: 'A friend request is already pending' },
  BLOCKED: { httpStatus: 403, message: 'One of you has blocked the other' },
  REQUEST_COOLDOWN: { httpStatus: 429, message: 'Your last request to this user was declined recently; try again later' },
  SELF_REQUEST: { httpStatus: 400, message: 'You cannot befriend yourself' },

  MALFORMED_FRAME: { httpStatus: 400, message: 'The frame could not be decoded' },
  FRAME_TOO_LARGE: { httpStatus: 413, message: 'The frame exceeds the maximum size' },
  UNKNOWN_MESSAGE: { httpStatus: 400, message: 'Unknown message id' },
  LOGIN_REQUIRED: { httpStatus: 401, message: 'The first frame must be Login' },
  ALREADY_LOGGED_IN: { httpStatus: 409, message: 'This connection is already logged in' },
  LOGIN_TIMEOUT: { httpStatus: 408, message: 'No valid LoginReq arrived in time after connecting' },
  SERVER_FULL: { httpStatus: 503, message: 'This chat server has no room for another connection; log in again at the gate' },
  TOO_MANY_CONNECTIONS: { httpStatus: 429, message: 'Too many connections from this address are not logged in yet' },
  REQUEST_NOT_PENDING: { httpStatus: 409, message: 'That friend request has already been answered' },

  GROUP_FULL: { httpStatus: 409, message: 'The group has reached its member limit' },
  OWNER_MUST_TRANSFER: { httpStatus: 409, message: 'The owner must transfer ownership (or dissolve the group) before leaving' },
  INVITE_NOT_PENDING: { httpStatus: 409, message: 'That invitation has already been answered' },

  FILE_NOT_FOUND: { httpStatus: 404, message: 'No such file' },
  FILE_INCOMPLETE: { httpStatus: 409, message: 'The file has not been uploaded completely' },
  FILE_TOO_LARGE: { httpStatus: 413, message: 'The file exceeds the size limit' },
  QUOTA_EXCEEDED: { httpStatus: 413, message: 'The upload would exceed your storage quota' },
  INSUFFICIENT_STORAGE: { httpStatus: 507, message: 'The server is short of storage; retry later' },
  WRONG_OFFSET: { httpStatus: 409, message: 'The chunk is not at the offset the server expects' },
  CHUNK_TOO_LARGE: { httpStatus: 413, message: 'The chunk exceeds the chunk size' },
  SHA256_MISMATCH: { httpStatus: 422, message: 'The uploaded bytes do not match the sha256; upload the file again' },
  UPLOAD_SUPERSEDED: { httpStatus: 409, message: 'This upload continues on another connection' },
} as const satisfies Record<string, { httpStatus: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);
}
