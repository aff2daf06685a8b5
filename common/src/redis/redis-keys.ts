/**
 * Redis keys more than one server reads or writes. Keys are relative to the configured key prefix
 * (ioredis adds it). A server's private keys are defined beside the code that uses them. Keys that a
 * script or MULTI uses together share a hash tag (`{…}`), so they work on Redis Cluster.
 */
export const RedisKeys = {
  /** Login token of a user: string, TTL = status.token_ttl_sec. Written by status-server, read by chat servers. */
  token: (uid: number): string => `token:${uid}`,
  /** Where a user is connected: hash { server, session }, refreshed by activity, removed on close. */
  route: (uid: number): string => `route:${uid}`,
  /** Live chat servers: hash id → JSON ChatServerRecord. Written by status-server (tagged: its pending counts go with it). */
  chatServers: '{chat-servers}',
  /** Live file servers: hash id → JSON FileServerRecord. Written by status-server. */
  fileServers: '{file-servers}',
} as const;

/**
 * The JSON value of one field of RedisKeys.chatServers, as the status-server writes it on every ReportLoad.
 * A record is live while `lastReportMs` is younger than 3 report intervals (see docs/status-server.md).
 */
export interface ChatServerRecord {
  /**
   * `grpcHost`: where peers and the gate dial grpcPort when not `host` (absent in older records).
   * `wsPort` absent or 0: no WebSocket (records written before the field existed have none).
   */
  server: { id: string; host: string; tcpPort: number; grpcPort: number; grpcHost?: string; wsPort?: number };
  /** Client connections at the last report. */
  connections: number;
  /** When the last report arrived, ms since the epoch (status-server clock). */
  lastReportMs: number;
  /** A draining server is shutting down and is never chosen. */
  draining: boolean;
  /**
   * Marked down by a status-server: its attachment stream ended (the process died) or a probe failed.
   * Never chosen, its users count as offline; the server's next report or attachment clears it.
   */
  down?: boolean;
}

/** The JSON value of one field of RedisKeys.fileServers: like a chat server's, without a gRPC port. */
export interface FileServerRecord {
  server: { id: string; host: string; tcpPort: number; wsPort?: number };
  /** Logged-in file connections at the last report. */
  connections: number;
  lastReportMs: number;
  draining: boolean;
  /** As ChatServerRecord.down. */
  down?: boolean;
}
