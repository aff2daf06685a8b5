import type { ClientConnection } from './client-connection';

/**
 * The login token digest each session logged in with, so LogoutReq can revoke exactly that token
 * (and not one the user was issued since). Dies with the connection (WeakMap).
 */
export class SessionTokens {
  private readonly digests = new WeakMap<ClientConnection, string>();

  remember(conn: ClientConnection, digest: string): void {
    this.digests.set(conn, digest);
  }

  digestOf(conn: ClientConnection): string | undefined {
    return this.digests.get(conn);
  }
}
