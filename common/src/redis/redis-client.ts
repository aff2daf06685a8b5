import Redis, { type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import type { ParleyConfig } from '../config/config-schema';
import type { Logger } from '../logger';
import { readTlsMaterial } from '../tls/tls-files';

export type { Redis } from 'ioredis';

/** An ioredis client with the configured key prefix; reconnects are logged, not silent. */
export function createRedis(cfg: ParleyConfig['redis'], logger?: Logger, overrides: RedisOptions = {}): Redis {
  const client = new Redis({
    host: cfg.host,
    port: cfg.port,
    db: cfg.db,
    keyPrefix: cfg.keyPrefix,
    ...(cfg.user ? { username: cfg.user } : {}),
    ...(cfg.password ? { password: cfg.password } : {}),
    ...(cfg.tls ? { tls: redisTlsOptions(cfg) } : {}),
    maxRetriesPerRequest: 3,
    // At most half a second between attempts: a Redis back after an outage is used within 0.5 s (with
    // 2 s, routes and logins waited up to 2 s longer than Redis did); an attempt costs one connect.
    retryStrategy: (times) => Math.min(times * 100, 500),
    ...overrides,
  });
  if (logger) {
    let wasReady = false;
    client.on('ready', () => {
      if (wasReady) logger.info('redis reconnected');
      wasReady = true;
    });
    client.on('reconnecting', (delay: number) => logger.warn({ delay }, 'redis reconnecting'));
    client.on('error', (err: Error) => logger.error({ err: err.message }, 'redis error'));
  }
  return client;
}

/** TLS options for ioredis: verification is node's default (chain and host name), never turned off. */
export function redisTlsOptions(cfg: ParleyConfig['redis']): ConnectionOptions {
  const material = readTlsMaterial('[redis]', cfg);
  return { ...material, ...(cfg.tlsServername ? { servername: cfg.tlsServername } : {}), rejectUnauthorized: true };
}

/** Deletes every key under a prefix (SCAN, not KEYS, so a large server is not blocked). */
export async function deleteByPrefix(client: Redis, fullPrefix: string): Promise<number> {
  // keyPrefix is not applied to SCAN's MATCH nor to the keys it returns, so strip it for DEL.
  const own = (client.options.keyPrefix as string | undefined) ?? '';
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${fullPrefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys.map((k) => (own && k.startsWith(own) ? k.slice(own.length) : k)));
  } while (cursor !== '0');
  return deleted;
}
