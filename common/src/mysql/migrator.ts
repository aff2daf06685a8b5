import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import type { ParleyConfig } from '../config/config-schema';
import type { Logger } from '../logger';
import { connectMysqlServer, quoteIdentifier } from './mysql-pool';

/** The SQL files shipped with this package: common/migrations/NNNN_name.sql. */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const list = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => {
      const m = FILE.exec(f);
      if (!m) throw new MigrationError(`migration file name ${f} must look like 0001_name.sql`);
      const sql = readFileSync(join(dir, f), 'utf8');
      return { version: Number(m[1]), name: m[2] as string, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < list.length; i++) {
    if (list[i]?.version === list[i - 1]?.version) throw new MigrationError(`two migrations have version ${list[i]?.version}`);
  }
  return list;
}

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

/**
 * Creates the database if needed and applies pending migrations in order. Several servers may start at
 * once: a named lock (GET_LOCK) lets one apply while the others wait, then find nothing left to do.
 * A changed file whose version was already applied is refused rather than silently skipped.
 */
export async function migrate(cfg: ParleyConfig['mysql'], options: { dir?: string; logger?: Logger; lockTimeoutSec?: number } = {}): Promise<MigrateResult> {
  const migrations = readMigrations(options.dir);
  const db = quoteIdentifier(cfg.database);
  const conn = await connectMysqlServer(cfg, { multipleStatements: true });
  const lockName = `parley_migrate:${cfg.database}`;
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.query(`USE ${db}`);
    const [lockRows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lockName, options.lockTimeoutSec ?? 60]);
    if (lockRows[0]?.got !== 1) throw new MigrationError(`could not take the migration lock ${lockName}`);
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INT UNSIGNED NOT NULL PRIMARY KEY,
        name VARCHAR(128) NOT NULL,
        checksum CHAR(64) NOT NULL,
        applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version, checksum FROM schema_migrations');
      const done = new Map(rows.map((r) => [Number(r.version), String(r.checksum)]));
      const result: MigrateResult = { applied: [], alreadyApplied: [] };
      for (const m of migrations) {
        const sum = done.get(m.version);
        if (sum !== undefined) {
          if (sum !== m.checksum) throw new MigrationError(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
          result.alreadyApplied.push(m.version);
          continue;
        }
        options.logger?.info({ version: m.version, name: m.name }, 'applying migration');
        // DDL commits implicitly in MySQL, so a migration is not atomic: keep each file small and re-runnable.
        await conn.query(m.sql);
        await conn.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)', [m.version, m.name, m.checksum]);
        result.applied.push(m.version);
      }
      return result;
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await conn.end();
  }
}
