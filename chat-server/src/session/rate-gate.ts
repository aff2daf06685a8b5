import type { Logger } from '@parley/common';
import { MsgId, type ClientMessage } from '@parley/protocol';
import type { ClientConnection } from './client-connection';
import { ABUSE_WINDOW_SEC, ConnectionRateLimits, type RateKind, type RateLimitConfig } from './connection-rate-limits';

function kindOf(message: ClientMessage): RateKind {
  switch (message.id) {
    case MsgId.Ping:
      return 'ping';
    case MsgId.DeliveredAck:
      return 'ack';
    case MsgId.SendReq:
      return 'send';
    case MsgId.SearchUserReq:
      return 'search';
    default:
      return 'request';
  }
}

/**
 * Meters the frames of logged-in connections before the router acts on them. A request over its
 * limit is answered RATE_LIMITED with `details.retryAfterSec` (retryable; nothing was done); a
 * Ping or DeliveredAck over its limit is dropped, since it has no reqId to answer. A connection
 * that keeps going past its limits (config abuseLimit refusals in ABUSE_WINDOW_SEC) is closed with
 * a fatal RATE_LIMITED. The limits of a connection die with it (WeakMap).
 */
export class RateGate {
  private readonly limits = new WeakMap<ClientConnection, ConnectionRateLimits>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly logger: Logger,
  ) {}

  /** True when the message may proceed; otherwise it has been answered, dropped, or the connection closed. */
  readonly admit = (conn: ClientConnection, message: ClientMessage): boolean => {
    let limits = this.limits.get(conn);
    if (limits === undefined) {
      limits = new ConnectionRateLimits(this.config);
      this.limits.set(conn, limits);
    }
    const kind = kindOf(message);
    const verdict = limits.check(kind);
    if (verdict.kind === 'ok') return true;
    if (verdict.kind === 'abuse') {
      this.logger.warn({ conn: conn.connId, uid: conn.uid, refused: limits.refused, event: 'rate_abuse' }, 'connection closed: rate limits exceeded repeatedly');
      conn.closeWithError({ code: 'RATE_LIMITED', message: `More than ${this.config.abuseLimit} frames over the rate limits in ${ABUSE_WINDOW_SEC} s; connection closed` });
      return false;
    }
    if (kind !== 'ping' && kind !== 'ack' && 'reqId' in message.msg) {
      conn.sendError({ reqId: message.msg.reqId, code: 'RATE_LIMITED', message: `Too many ${kind === 'send' ? 'messages' : kind === 'search' ? 'searches' : 'requests'}; retry later`, details: { retryAfterSec: verdict.retryAfterSec } });
    }
    return false;
  };
}
