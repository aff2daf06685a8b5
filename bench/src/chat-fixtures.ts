/**
 * Chat benchmark fixtures: N users written straight into MySQL as friends in pairs, and a login
 * token for each in Redis, so clients can log in to the chat servers without the gate.
 *
 * Pair k is users 2k and 2k+1. Each pair gets what chat-server's FriendService.befriend writes on
 * accept: a direct conversation (direct_key "lo:hi"), both conversation_members rows and the
 * friendships in both directions. Inserts are multi-row (2,000 rows a statement), so 50,000 users
 * take seconds. The password hash is a dummy that no password verifies: these users cannot log in
 * at the gate, only with the issued token.
 */
import { issueToken, type MysqlPool, type Redis } from '@parley/common';

export interface FixtureUser {
  uid: number;
  token: string;
  /** The partner in this user's pair. */
  peer: number;
  conversationId: number;
}

export interface FixtureOptions {
  /** Prefix of user names and e-mails. */
  prefix?: string;
  tokenTtlSec?: number;
  /** Rows per INSERT. */
  batch?: number;
  /** Concurrent token writes. */
  tokenConcurrency?: number;
}

const DUMMY_HASH = '!bench-fixture:no-password-verifies-this';

/** The direct_key of the conversation between two users, as chat-server's friend-service writes it. */
export function directKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/** The next free id of a table (fixtures write explicit ids so multi-row inserts need no round trip per row). */
export async function nextId(pool: MysqlPool, table: 'users' | 'conversations'): Promise<number> {
  const [rows] = await pool.query(`SELECT COALESCE(MAX(id), 0) + 1 AS next FROM ${table}`);
  return Number((rows as { next: number | string }[])[0]?.next ?? 1);
}

/** One multi-row INSERT (`VALUES ?`) per `batch` rows. */
export async function insertChunked(pool: MysqlPool, sql: string, rows: unknown[][], batch: number): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await pool.query(sql, [rows.slice(i, i + batch)]);
}

/** Creates `count` users (rounded up to an even number) in pairs of friends and issues their tokens. */
export async function createChatFixtures(pool: MysqlPool, redis: Redis, count: number, options: FixtureOptions = {}): Promise<FixtureUser[]> {
  const prefix = options.prefix ?? 'cb';
  const batch = options.batch ?? 2000;
  const n = count + (count % 2);
  const uid0 = await nextId(pool, 'users');
  const conv0 = await nextId(pool, 'conversations');

  await insertUsers(pool, uid0, n, prefix, batch);

  const conversations: unknown[][] = [];
  const members: unknown[][] = [];
  const friendships: unknown[][] = [];
  const out: FixtureUser[] = [];
  for (let k = 0; k < n / 2; k++) {
    const a = uid0 + 2 * k;
    const b = a + 1;
    const conv = conv0 + k;
    conversations.push([conv, 'direct', directKey(a, b)]);
    members.push([conv, a], [conv, b]);
    friendships.push([a, b, conv], [b, a, conv]);
    out.push({ uid: a, token: '', peer: b, conversationId: conv }, { uid: b, token: '', peer: a, conversationId: conv });
  }
  await insertChunked(pool, 'INSERT INTO conversations (id, kind, direct_key) VALUES ?', conversations, batch);
  await insertChunked(pool, 'INSERT INTO conversation_members (conversation_id, user_id) VALUES ?', members, batch);
  await insertChunked(pool, 'INSERT INTO friendships (user_id, friend_id, conversation_id) VALUES ?', friendships, batch);

  await issueTokens(redis, out, options.tokenTtlSec ?? 3600, options.tokenConcurrency ?? 1000);
  return out;
}

/** Users uid0 … uid0 + n − 1 named `<prefix><uid>`, with a password hash no password verifies. */
export async function insertUsers(pool: MysqlPool, uid0: number, n: number, prefix: string, batch: number): Promise<void> {
  const users: unknown[][] = [];
  for (let i = 0; i < n; i++) users.push([uid0 + i, `${prefix}${uid0 + i}`, `${prefix}${uid0 + i}@bench.example.test`, DUMMY_HASH, `Bench ${i}`]);
  await insertChunked(pool, 'INSERT INTO users (id, name, email, password_hash, nickname) VALUES ?', users, batch);
}

/** Issues a login token for each user (issueToken, as the gate does), `concurrency` at a time. */
export async function issueTokens(redis: Redis, users: { uid: number; token: string }[], ttlSec: number, concurrency: number): Promise<void> {
  for (let i = 0; i < users.length; i += concurrency) {
    const slice = users.slice(i, i + concurrency);
    const tokens = await Promise.all(slice.map((u) => issueToken(redis, u.uid, ttlSec)));
    slice.forEach((u, j) => (u.token = tokens[j] as string));
  }
}
