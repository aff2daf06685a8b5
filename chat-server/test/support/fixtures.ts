import type { ResultSetHeader } from 'mysql2/promise';
import { issueToken, type MysqlPool, type Redis } from '@parley/common';

let counter = 0;

/** A user row with a unique name; returns its uid. The password hash is never checked here. */
export async function createUser(pool: MysqlPool, prefix = 'u'): Promise<number> {
  counter++;
  const name = `${prefix}${process.pid}x${counter}`.slice(0, 32);
  const [res] = await pool.query<ResultSetHeader>('INSERT INTO users (name, email, password_hash, nickname) VALUES (?, ?, ?, ?)', [name, `${name}@test.local`, 'x', name]);
  return res.insertId;
}

/** Makes a and b friends the way the friends code does on accept; returns the conversation id. */
export async function befriend(pool: MysqlPool, a: number, b: number): Promise<number> {
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  const [conv] = await pool.query<ResultSetHeader>("INSERT INTO conversations (kind, direct_key) VALUES ('direct', ?)", [key]);
  const id = conv.insertId;
  await pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES (?, ?), (?, ?)', [id, a, id, b]);
  await pool.query('INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES (?, ?, ?), (?, ?, ?)', [a, b, id, b, a, id]);
  return id;
}

/** A group conversation with these members; returns its id. */
export async function createGroup(pool: MysqlPool, members: number[]): Promise<number> {
  const [conv] = await pool.query<ResultSetHeader>("INSERT INTO conversations (kind) VALUES ('group')");
  const id = conv.insertId;
  await pool.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ?', [members.map((m) => [id, m])]);
  return id;
}

/** A user with a login token, as the status-server would issue it. */
export async function userWithToken(pool: MysqlPool, redis: Redis, ttlSec = 600): Promise<{ uid: number; token: string }> {
  const uid = await createUser(pool);
  return { uid, token: await issueToken(redis, uid, ttlSec) };
}
