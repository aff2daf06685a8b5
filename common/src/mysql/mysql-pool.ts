import mysql from 'mysql2/promise';
import type { ParleyConfig } from '../config/config-schema';
import { readTlsMaterial } from '../tls/tls-files';

export type MysqlPool = mysql.Pool;

/** A mysql2 promise pool for the configured database (utf8mb4, UTC, BIGINTs as numbers while safe). */
export function createMysqlPool(cfg: ParleyConfig['mysql'], overrides: Partial<mysql.PoolOptions> = {}): MysqlPool {
  return mysql.createPool({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    connectionLimit: cfg.poolSize,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: false,
    enableKeepAlive: true,
    ...mysqlTlsOptions(cfg),
    ...overrides,
  });
}

/** A single connection without a default database, e.g. to create one. */
export async function connectMysqlServer(cfg: ParleyConfig['mysql'], overrides: Partial<mysql.ConnectionOptions> = {}): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    ...mysqlTlsOptions(cfg),
    ...overrides,
  });
}

/**
 * mysql2's `ssl` when [mysql] tls is on. mysql2 checks the host name only with verifyIdentity and only
 * when host is a name (for an IP it verifies the chain alone): both are spelled out here.
 */
export function mysqlTlsOptions(cfg: ParleyConfig['mysql']): { ssl?: mysql.SslOptions } {
  if (!cfg.tls) return {};
  return { ssl: { ...readTlsMaterial('[mysql]', cfg), rejectUnauthorized: true, verifyIdentity: true } };
}

/** Backtick-quotes an identifier that cannot be a placeholder (database names). */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`unsafe SQL identifier: ${name}`);
  return `\`${name}\``;
}
