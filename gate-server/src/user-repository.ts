/**
 * The gate's access to the `users` table (docs/schema.md). Placeholders only. Names compare
 * case-insensitively (the column's collation); e-mail addresses are stored lower-cased.
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { ParleyError, type MysqlPool } from '@parley/common';

export interface PublicUser {
  uid: number;
  name: string;
  nickname: string;
  avatar: string;
}

export interface UserCredentials extends PublicUser {
  email: string;
  passwordHash: string;
}

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
  nickname: string;
}

interface UserRow extends RowDataPacket {
  id: number;
  name: string;
  email: string;
  password_hash: string;
  nickname: string;
  avatar: string;
}

const COLUMNS = 'id, name, email, password_hash, nickname, avatar';

function toCredentials(row: UserRow): UserCredentials {
  return { uid: Number(row.id), name: row.name, email: row.email, passwordHash: row.password_hash, nickname: row.nickname, avatar: row.avatar };
}

export function publicUser(user: PublicUser): PublicUser {
  return { uid: user.uid, name: user.name, nickname: user.nickname, avatar: user.avatar };
}

/** Which unique key a duplicate-entry error hit, from MySQL/MariaDB's message ("… for key 'uk_users_name'"). */
export function duplicateKeyError(err: unknown): ParleyError | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ER_DUP_ENTRY' || typeof e.message !== 'string') return undefined;
  if (e.message.includes('uk_users_name')) return new ParleyError('NAME_TAKEN', undefined, { cause: err });
  if (e.message.includes('uk_users_email')) return new ParleyError('EMAIL_TAKEN', undefined, { cause: err });
  return undefined;
}

export class UserRepository {
  constructor(private readonly pool: MysqlPool) {}

  async findByName(name: string): Promise<UserCredentials | undefined> {
    const [rows] = await this.pool.execute<UserRow[]>(`SELECT ${COLUMNS} FROM users WHERE name = ? LIMIT 1`, [name]);
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }

  async findByEmail(email: string): Promise<UserCredentials | undefined> {
    const [rows] = await this.pool.execute<UserRow[]>(`SELECT ${COLUMNS} FROM users WHERE email = ? LIMIT 1`, [email]);
    return rows[0] ? toCredentials(rows[0]) : undefined;
  }

  async nameTaken(name: string): Promise<boolean> {
    const [rows] = await this.pool.execute<RowDataPacket[]>('SELECT 1 FROM users WHERE name = ? LIMIT 1', [name]);
    return rows.length > 0;
  }

  async emailTaken(email: string): Promise<boolean> {
    const [rows] = await this.pool.execute<RowDataPacket[]>('SELECT 1 FROM users WHERE email = ? LIMIT 1', [email]);
    return rows.length > 0;
  }

  /** Inserts and returns the new uid; a lost race on name or e-mail is NAME_TAKEN / EMAIL_TAKEN. */
  async insert(user: NewUser): Promise<number> {
    try {
      const [result] = await this.pool.execute<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [
        user.name,
        user.email,
        user.passwordHash,
        user.nickname,
      ]);
      return Number(result.insertId);
    } catch (err) {
      throw duplicateKeyError(err) ?? err;
    }
  }

  async updatePasswordHash(uid: number, passwordHash: string): Promise<boolean> {
    const [result] = await this.pool.execute<ResultSetHeader>('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, uid]);
    return result.affectedRows === 1;
  }

  /** Replaces the hash only while it is still `current` (a concurrent reset wins); true when replaced. */
  async replacePasswordHash(uid: number, current: string, passwordHash: string): Promise<boolean> {
    const [result] = await this.pool.execute<ResultSetHeader>('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?', [passwordHash, uid, current]);
    return result.affectedRows === 1;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}
