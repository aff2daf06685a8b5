import { ClientError } from './client-error';

/** docs/protocol.md: a clientMsgId is 1…64 characters; a transfer id is the core's own (bounded like the bridge's ids). */
export const MAX_CLIENT_MSG_ID = 64;
export const MAX_TRANSFER_ID = 128;

/**
 * A random UUID. `crypto.randomUUID` exists only in secure contexts (https, localhost); a page served
 * over plain http from another host has `getRandomValues` only, so the UUID is built from it there.
 */
export function randomId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A caller-made id must fit the protocol's limits (INVALID_ID otherwise). */
export function checkId(id: string, max: number, what: string): void {
  if (typeof id !== 'string' || id.length < 1 || id.length > max) throw new ClientError('INVALID_ID', `${what} must be 1 to ${max} characters`);
}
