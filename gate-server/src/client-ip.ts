/**
 * The end user's IP for limits and for the verify-server's per-IP cap. With gate.trust_proxy the app
 * trusts exactly one proxy hop (express "trust proxy" = 1): the address that proxy appended to
 * X-Forwarded-For is used, and anything a client put there itself is ignored. Without it, the socket's
 * peer address is used and X-Forwarded-For is ignored entirely.
 */
import type { Request } from 'express';

/** IPv4-mapped IPv6 ("::ffff:1.2.3.4") folded to IPv4, lower-cased. */
export function normalizeIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

export function clientIp(req: Request): string {
  return normalizeIp(req.ip ?? req.socket.remoteAddress ?? '');
}

/** The value for express's "trust proxy" setting. */
export function trustProxySetting(trustProxy: boolean): number | false {
  return trustProxy ? 1 : false;
}
