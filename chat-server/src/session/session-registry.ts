import type { ClientConnection } from './client-connection';

/**
 * The connections of this process: every socket (for the heartbeat sweep and shutdown) and the
 * logged-in session of each uid (at most one: a newer login replaces and kicks the older).
 */
export class SessionRegistry {
  private readonly connections = new Set<ClientConnection>();
  private readonly byUid = new Map<number, ClientConnection>();

  add(conn: ClientConnection): void {
    this.connections.add(conn);
  }

  /** Forgets a closed connection, and its uid binding if it still holds it. */
  remove(conn: ClientConnection): void {
    this.connections.delete(conn);
    if (conn.uid !== 0 && this.byUid.get(conn.uid) === conn) this.byUid.delete(conn.uid);
  }

  /** Makes conn the session of its uid; returns the session it displaced, if any. */
  bind(conn: ClientConnection): ClientConnection | undefined {
    const previous = this.byUid.get(conn.uid);
    this.byUid.set(conn.uid, conn);
    return previous === conn ? undefined : previous;
  }

  /** The logged-in session of uid on this server. */
  get(uid: number): ClientConnection | undefined {
    const conn = this.byUid.get(uid);
    return conn?.loggedIn ? conn : undefined;
  }

  /** The bound session of uid, also while its login is still completing. */
  bound(uid: number): ClientConnection | undefined {
    return this.byUid.get(uid);
  }

  all(): IterableIterator<ClientConnection> {
    return this.connections.values();
  }

  sessions(): IterableIterator<ClientConnection> {
    return this.byUid.values();
  }

  /** Open sockets, logged in or not. */
  get size(): number {
    return this.connections.size;
  }

  /** Logged-in sessions: the load a chat server reports. */
  get sessionCount(): number {
    return this.byUid.size;
  }
}
