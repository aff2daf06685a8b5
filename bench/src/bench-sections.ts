/**
 * The config every chat benchmark runs its cluster with, where the harness' test config differs:
 * production values (log level, pool, report interval), heartbeat 10 s so idle holds see every
 * client ping, and the per-connection rate limits (docs/security.md) lifted — all benchmark clients
 * connect from 127.0.0.1, thousands at once, and a run with few users pushes thousands of messages
 * a second through each connection, which is load, not abuse. The queue bounds keep their defaults.
 * A fresh copy each call: `--set` (applySets) edits it.
 */
export function benchSections(): Record<string, Record<string, string | number | boolean>> {
  const lifted = 10_000_000;
  return {
    cluster: { log_level: 'info' },
    mysql: { pool_size: 10 },
    status: { report_interval_sec: 5 },
    chat: {
      heartbeat_sec: 10,
      max_unauthenticated_per_ip: 1_000_000,
      send_rate_per_sec: lifted,
      send_burst: lifted,
      request_rate_per_sec: lifted,
      request_burst: lifted,
      ping_rate_per_sec: lifted,
      ping_burst: lifted,
      ack_rate_per_sec: lifted,
      ack_burst: lifted,
      abuse_limit: lifted,
    },
  };
}
