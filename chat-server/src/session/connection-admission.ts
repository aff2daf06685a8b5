import { ipLimitKey, type ClientSocket } from '@parley/common';
import { encodeFrame, MsgId, type ErrorBody } from '@parley/protocol';

export interface AdmissionLimits {
  /** Open client connections per server, logged in or not. */
  maxConnections: number;
  /** Connections not logged in yet per client IP (IPv6: per /64). */
  maxUnauthenticatedPerIp: number;
}

/** How long a refused socket may linger for its Error frame to leave. */
const REFUSED_GRACE_MS = 1000;

/**
 * Who may open a connection before proving who they are: a cap on the server's connections and on
 * the unauthenticated ones per client IP, so one address cannot hold the memory and sockets of
 * many idle logins. A connection counts against its IP from accept until it logs in or closes.
 */
export class ConnectionAdmission {
  private readonly unauthenticated = new Map<string, number>();
  private readonly counted = new Map<object, string>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** The refusal for a new socket when `open` connections exist, or its per-IP key when admitted. */
  check(open: number, remoteAddress: string | undefined): { key: string } | { refusal: ErrorBody } {
    if (open >= this.limits.maxConnections) {
      return { refusal: { code: 'SERVER_FULL', message: 'This chat server is full; log in again at the gate' } };
    }
    const key = ipLimitKey(remoteAddress ?? '');
    if ((this.unauthenticated.get(key) ?? 0) >= this.limits.maxUnauthenticatedPerIp) {
      return { refusal: { code: 'TOO_MANY_CONNECTIONS', message: 'Too many connections from this address are not logged in yet' } };
    }
    return { key };
  }

  /** Counts an admitted connection against its IP. */
  enter(conn: object, key: string): void {
    this.counted.set(conn, key);
    this.unauthenticated.set(key, (this.unauthenticated.get(key) ?? 0) + 1);
  }

  /** The connection logged in or closed: it no longer counts (idempotent). */
  leave(conn: object): void {
    const key = this.counted.get(conn);
    if (key === undefined) return;
    this.counted.delete(conn);
    const n = (this.unauthenticated.get(key) ?? 1) - 1;
    if (n <= 0) this.unauthenticated.delete(key);
    else this.unauthenticated.set(key, n);
  }

  /** Unauthenticated connections from this key (tests, metrics). */
  countFor(key: string): number {
    return this.unauthenticated.get(key) ?? 0;
  }
}

/** Answers a refused socket with one Error frame and closes it without reading what it sends. */
export function refuseSocket(socket: ClientSocket, refusal: ErrorBody): void {
  socket.on('error', () => undefined);
  socket.pause();
  socket.end(encodeFrame(MsgId.Error, refusal));
  setTimeout(() => socket.destroy(), REFUSED_GRACE_MS).unref();
}
