import type { RowDataPacket } from 'mysql2';
import type { ParleyConfig } from '../config/config-schema';
import { createLogger, type Logger } from '../logger';
import { migrate } from '../mysql/migrator';
import { connectMysqlServer, createMysqlPool, quoteIdentifier, type MysqlPool } from '../mysql/mysql-pool';
import { createRedis, deleteByPrefix, type Redis } from '../redis/redis-client';
import { makeTestConfig, uniqueSuffix, type TestConfigOptions } from './test-config';

export const TEST_DB_PREFIX = 'parley_t_';

export interface TestEnv {
  config: ParleyConfig;
  /** The ini text behind config, to hand to child processes. */
  database: string;
  redisPrefix: string;
  pool: MysqlPool;
  redis: Redis;
  logger: Logger;
  /** Drops the database and deletes every Redis key under the prefix. */
  cleanup(): Promise<void>;
}

/**
 * A private corner of the real MariaDB and Redis for one test file: a fresh, migrated database with a
 * unique name and a unique Redis key prefix. Never assumes the servers are empty; removes only its own.
 */
export async function createTestEnv(options: Partial<Omit<TestConfigOptions, 'database' | 'redisPrefix'>> = {}): Promise<TestEnv> {
  const suffix = uniqueSuffix();
  const database = `${TEST_DB_PREFIX}${suffix}`;
  const redisPrefix = `parley-test:${suffix}:`;
  const config = makeTestConfig({ ...options, database, redisPrefix });
  const logger = createLogger({ kind: 'test', level: config.cluster.logLevel });
  await migrate(config.mysql);
  const pool = createMysqlPool(config.mysql);
  const redis = createRedis(config.redis);
  return {
    config,
    database,
    redisPrefix,
    pool,
    redis,
    logger,
    async cleanup() {
      await pool.end();
      await dropDatabase(config.mysql, database);
      await deleteByPrefix(redis, redisPrefix);
      redis.disconnect();
    },
  };
}

export async function dropDatabase(cfg: ParleyConfig['mysql'], database: string): Promise<void> {
  const conn = await connectMysqlServer(cfg);
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  } finally {
    await conn.end();
  }
}

/** Drops test databases left by crashed runs more than an hour ago (names carry their creation time). */
export async function dropStaleTestDatabases(env: NodeJS.ProcessEnv = process.env, maxAgeMs = 3600_000): Promise<string[]> {
  const cfg = {
    host: env.PARLEY_MYSQL_HOST ?? '127.0.0.1',
    port: Number(env.PARLEY_MYSQL_PORT ?? 3306),
    user: env.PARLEY_MYSQL_USER ?? 'root',
    password: env.PARLEY_MYSQL_PASSWORD ?? '',
    database: '',
    poolSize: 1,
    tls: false,
    caFile: '',
    certFile: '',
    keyFile: '',
  };
  const conn = await connectMysqlServer(cfg);
  const dropped: string[] = [];
  try {
    const [rows] = await conn.query<RowDataPacket[]>('SHOW DATABASES LIKE ?', [`${TEST_DB_PREFIX}%`]);
    for (const row of rows) {
      const name = String(Object.values(row)[0]);
      const born = parseInt(name.slice(TEST_DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (Number.isFinite(born) && Date.now() - born > maxAgeMs) {
        await conn.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`);
        dropped.push(name);
      }
    }
  } finally {
    await conn.end();
  }
  return dropped;
}
